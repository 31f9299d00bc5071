"""Plain views beside the API: its not-found and method-not-allowed answers, and revoking an app's token from the
account page."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from masthead.accounts import tokens
from masthead.accounts.models import AppToken


def _error(status: int, message: str) -> JsonResponse:
    from masthead.api.errors import CODES

    return JsonResponse({"error": {"code": CODES[status], "message": message, "fields": []}}, status=status)


def api_not_found(request, *args, **kwargs):
    """A path under /api/ that no operation serves: 404 in the API's one error shape."""
    return _error(404, "There is no such API path.")


def shaped_method_not_allowed(view):
    """``view`` (one of the API's paths), answering a method it does not take with 405 in the error shape.

    django-ninja answers such a request itself, before any exception handler
    runs, with a plain-text body; the ``Allow`` header is kept.
    """

    @functools.wraps(view)  # keeps csrf_exempt, which ninja sets on its views
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        shaped = _error(405, f"This path does not take {request.method}.")
        shaped["Allow"] = response["Allow"]
        return shaped

    return wrapper


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
