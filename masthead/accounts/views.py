"""The reader's account page, their data export, and account deletion."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from masthead.accounts import actions, selectors
from masthead.accounts.forms import AccountDeleteForm
from masthead.billing import selectors as billing_selectors
from masthead.lib import clock


@login_required
@require_GET
def account(request):
    reader = request.user
    context = {
        "email_addresses": selectors.reader_email_addresses(reader),
        "sessions": selectors.reader_sessions(reader),
        "billing": billing_selectors.account_summary(reader),
    }
    response = render(request, "accounts/account.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def export(request):
    """A download of everything kept about the signed-in reader, and nobody else."""
    # Imported here: billing's export is added alongside this view and may load later.
    from masthead.billing.selectors import export_for
    from masthead.newsletters.selectors import export_for as newsletters_export_for

    reader = request.user
    data = selectors.reader_export(reader, current_session_key=request.session.session_key, now=clock.now())
    data["billing"] = export_for(reader)
    data["newsletters"] = newsletters_export_for(reader)
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="account.json"'
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request):
    """GET asks for the password; only a POST with the right one deletes the account."""
    reader = request.user
    form = AccountDeleteForm(reader, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # Guessing the password here counts against the same limit as reauthenticating.
        refused = ratelimit.consume_or_429(request, action="reauthenticate", user=reader)
        if refused:
            return refused
        if form.is_valid():
            actions.account_delete(reader=reader, actor=reader)
            logout(request)
            # Rendered, not redirected: the front page shows no messages, and a
            # repeated POST from here only meets the login page.
            return render(request, "accounts/deleted.html")
    response = render(request, "accounts/delete.html", {"form": form})
    add_never_cache_headers(response)
    return response
