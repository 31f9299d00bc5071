"""What a checkout page is for: which plan and offer, whether the reader may have it, and what it will cost."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from masthead.billing import offers, pricing
from masthead.billing.models import Offer, Plan
from masthead.lib import clock
from masthead.lib.dates import publication_zone


@dataclass(frozen=True)
class Target:
    plan: Plan | None
    offer: Offer | None
    token: str = ""
    code: str = ""

    @property
    def missing(self) -> bool:
        return self.plan is None


def resolve(params) -> Target:
    """The plan and offer named by the query string: ``offer`` (+ ``token``), ``code``, or ``plan``."""
    token = params.get("token", "")
    if code := params.get("code", "").strip():
        offer = (
            Offer.objects.select_related("plan")
            .filter(channel=Offer.Channel.CODE, public_code__iexact=code, active=True)
            .first()
        )
        return Target(offer.plan if offer else None, offer, code=code)
    if offer_code := params.get("offer", ""):
        offer = Offer.objects.select_related("plan").filter(code=offer_code).first()
        return Target(offer.plan if offer else None, offer, token=token)
    plan = Plan.objects.filter(code=params.get("plan", ""), active=True).order_by("-version").first()
    return Target(plan, None)


def reader_keys(request) -> frozenset[str]:
    """Every meter key this request speaks for: the browser's, and the account's when logged in."""
    keys = set()
    reader = getattr(request, "reader", None)
    if reader is not None and reader.cookie_id:
        keys.add(f"c:{reader.cookie_id}")
    if request.user.is_authenticated:
        keys.add(f"a:{request.user.pk}")
    return frozenset(keys)


def precheck(target: Target, *, request, segment: str) -> str:
    """Why this reader cannot have this offer, before they type anything; "" when nothing stands in the way.

    Checkout checks all of it again, and more (the card), when the form is sent.
    """
    offer = target.offer
    if offer is None:
        return ""
    if not offer.is_live(clock.now()) or not offer.plan.active:
        return "Sorry, this offer has ended. You can still subscribe at the regular price."
    if segment not in (offer.segments or []):
        return "This offer is for new readers. You can still subscribe at the regular price."
    if offer.channel == Offer.Channel.PAYWALL:
        try:
            offers.check_token(target.token, offer_code=offer.code, reader_keys=set(reader_keys(request)))
        except offers.TokenProblem as problem:
            return str(problem)
    if request.user.is_authenticated and hasattr(request.user, "offer_redemption"):
        return (
            "You have already used an introductory offer, so this one is not available to you. "
            "You can still subscribe at the regular price."
        )
    return ""


def summary(target: Target):
    """What the checkout page states about money: now, later, when, and renewal."""
    if target.plan is None:
        return None
    offer_terms = target.offer.terms() if target.offer else None
    schedule = pricing.schedule(target.plan.terms(), offer_terms, clock.now())
    return pricing.describe(schedule, tz=publication_zone())


def regular_price_url(target: Target, next_url: str) -> str:
    if target.plan is None:
        return reverse("billing:subscribe")
    query = {"plan": target.plan.code}
    if next_url:
        query["next"] = next_url
    return f"{settings.PAYWALL_CHECKOUT_URL}?{urlencode(query)}"


def send_verification(request, reader) -> None:
    """Ask a reader who signed up at checkout to confirm their address (their subscription starts regardless)."""
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(user=reader, primary=True, verified=False).first()
    if address is not None:
        address.send_confirmation(request, signup=True)
