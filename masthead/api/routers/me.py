"""``me``: the signed-in reader's profile, entitlements and subscription status."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from ninja import Router

from masthead.api import media
from masthead.api.auth import account_auth
from masthead.api.errors import responses
from masthead.api.routers.me_schemas import MeOut

router = Router(tags=["me"])


@router.get("", response=responses({200: MeOut}, 401, 403), auth=account_auth, summary="The signed-in reader")
def me(request: HttpRequest, response: HttpResponse):
    """The reader the app token belongs to: profile, what they may read, and their subscription."""
    from masthead.billing.models import Subscription
    from masthead.billing.selectors import reader_renewal_failed, reader_standing

    patch_cache_control(response, private=True, no_store=True)
    reader = request.user
    standing = reader_standing(reader)
    latest = (
        Subscription.objects.filter(reader=reader)
        .exclude(status="incomplete")
        .select_related("plan")
        .order_by("-created_at", "-id")
        .first()
    )
    subscription = None
    if latest is not None:
        subscription = {
            "status": latest.status,
            "plan": str(latest.plan) if latest.plan else "",
            "paid_through": latest.paid_through,
            "cancel_at_period_end": latest.cancel_at_period_end,
            "payment_failed": reader_renewal_failed(reader),
            "update_payment_url": media.absolute(reverse("billing:account_billing")),
        }
    return {
        "id": reader.pk,
        "email": reader.email,
        "first_name": reader.first_name,
        "last_name": reader.last_name,
        "joined": reader.date_joined,
        "entitlements": {"segment": str(standing.segment), "entitled": standing.entitled},
        "subscription": subscription,
    }
