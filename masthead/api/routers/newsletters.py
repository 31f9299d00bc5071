"""The signed-in reader's newsletter preferences: read them, and set exactly which newsletters to receive.

The same selector and action as the account page's form, so the rules (subscribers-only lists, a verified
address first) are the newsletters app's, never repeated here.
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Router

from masthead.api.auth import account_auth
from masthead.api.errors import ApiError, responses
from masthead.api.routers.newsletters_schemas import NewsletterListOut, NewsletterPreferencesIn

router = Router(tags=["newsletters"], auth=account_auth)


@router.get("", response=responses({200: NewsletterListOut}, 401, 403), summary="Newsletter preferences")
def preferences_get(request: HttpRequest, response: HttpResponse):
    """Every newsletter, with whether the reader receives it and may."""
    from masthead.newsletters.selectors import reader_preferences

    patch_cache_control(response, private=True, no_store=True)
    return {"items": [asdict(preference) for preference in reader_preferences(request.user)]}


@router.put("", response=responses({200: NewsletterListOut}, 401, 403, 409), summary="Set newsletter preferences")
def preferences_put(request: HttpRequest, payload: NewsletterPreferencesIn, response: HttpResponse):
    """Receive exactly the newsletters listed in ``subscribed``. Nothing changes when one cannot be had (409)."""
    from masthead.newsletters.actions import PreferenceError, newsletter_preferences_set

    patch_cache_control(response, private=True, no_store=True)
    try:
        found = newsletter_preferences_set(user=request.user, subscribed=set(payload.subscribed), actor=request.user)
    except PreferenceError as exc:
        raise ApiError(409, "newsletter_unavailable", f"{exc.slug}: {exc.reason}.") from None
    return {"items": [asdict(preference) for preference in found]}
