"""Plain views beside the API: its not-found answer, and revoking an app's token from the account page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from masthead.accounts import tokens
from masthead.accounts.models import AppToken


def api_not_found(request, *args, **kwargs):
    """A path under /api/ that no operation serves: 404 in the API's one error shape."""
    from masthead.api.errors import CODES

    body = {"error": {"code": CODES[404], "message": "There is no such API path.", "fields": []}}
    return JsonResponse(body, status=404)


@login_required
@require_POST
def app_token_revoke(request, token_id: int):
    """Revoke one of the signed-in reader's app tokens; another reader's is not found."""
    token = AppToken.objects.filter(pk=token_id, reader=request.user, revoked_at__isnull=True).first()
    if token is None:
        raise Http404("no such app")
    tokens.app_token_revoke(token=token, actor=request.user)
    messages.success(request, f"{token.name} is signed out.")
    return redirect("/account/#apps")
