"""Which prompt a reader sees, with its words and where its buttons lead."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from masthead.metering.decision import Decision, Prompt
from masthead.metering.rules import Segment

CACHE_KEY = "paywall:prompt-copy"
CACHE_SECONDS = 60

DEFAULT_COPY = {
    Prompt.SUBSCRIBE_OR_LOG_IN: (
        "You have read your free articles this month",
        "Subscribe for unlimited access to every story, on the web and in our apps. Already a subscriber? "
        "Log in to keep reading.",
        "Subscribe",
    ),
    Prompt.REGISTER: (
        "Register free to keep reading",
        "Create a free account to read more stories each month and get our newsletters. It takes a minute.",
        "Register free",
    ),
    Prompt.SUBSCRIBE: (
        "You have read your free articles this month",
        "Subscribe for unlimited access to every story, on the web and in our apps.",
        "Subscribe",
    ),
    Prompt.UPDATE_PAYMENT: (
        "We could not renew your subscription",
        "Your last payment did not go through. Update your payment information to keep reading without interruption.",
        "Update payment information",
    ),
    Prompt.RESUBSCRIBE: (
        "Welcome back",
        "Your subscription has ended. Resubscribe to pick up where you left off, with every story unlocked.",
        "Resubscribe",
    ),
    Prompt.SUBSCRIBERS_ONLY: (
        "This story is for subscribers",
        "Our subscribers make reporting like this possible. Subscribe to read it in full.",
        "Subscribe",
    ),
}


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class OfferLink:
    """An offer on a prompt. Its URL holds a placeholder for the reader's token (see ``personalise``)."""

    headline: str
    description: str
    url: str


@dataclass(frozen=True)
class PromptView:
    kind: Prompt
    heading: str
    message: str
    action: Link
    secondary: Link | None = None
    offers: tuple[OfferLink, ...] = ()


# Who sees offers on which prompt when the caller does not say: a registration
# wall and a failed payment are not moments to sell.
_SEGMENT_FOR_PROMPT = {
    Prompt.SUBSCRIBE_OR_LOG_IN: Segment.ANONYMOUS,
    Prompt.SUBSCRIBE: Segment.REGISTERED,
    Prompt.RESUBSCRIBE: Segment.FORMER_SUBSCRIBER,
    Prompt.SUBSCRIBERS_ONLY: Segment.ANONYMOUS,
}


def forget_cached_copy() -> None:
    cache.delete(CACHE_KEY)


def _copy() -> dict[str, tuple[str, str, str]]:
    found = cache.get(CACHE_KEY)
    if found is None:
        from masthead.paywall.models import PromptCopy

        found = {row.kind: (row.heading, row.message, row.button_label) for row in PromptCopy.objects.all()}
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def offer_links(segment: Segment | None, *, next_url: str) -> tuple[OfferLink, ...]:
    """The paywall-only offers for ``segment``, each linking to checkout with a token placeholder."""
    from masthead.billing import offers
    from masthead.lib import clock
    from masthead.paywall.personalise import token_placeholder

    if segment is None:
        return ()
    return tuple(
        OfferLink(
            card.headline,
            card.description,
            f"{settings.PAYWALL_CHECKOUT_URL}?"
            + urlencode({"offer": card.code, "token": token_placeholder(card.code), "next": next_url}),
        )
        for card in offers.paywall_offers(str(segment), clock.now())
    )


def prompt_for(decision: Decision, *, next_url: str, segment: Segment | None = None) -> PromptView | None:
    """The prompt to show after the lead-in, with the offers open to ``segment``; None when the reader may read on.

    Without ``segment`` the prompt's kind says who the reader is (a subscribers-only
    prompt is then taken to be for an anonymous reader).
    """
    if decision.allowed or decision.prompt is None:
        return None
    kind = decision.prompt
    if kind in (Prompt.REGISTER, Prompt.UPDATE_PAYMENT):
        segment = None
    elif segment is None:
        segment = _SEGMENT_FOR_PROMPT.get(kind)
    elif segment in (Segment.PAYMENT_FAILED, Segment.SUBSCRIBER):
        segment = None
    links = offer_links(segment, next_url=next_url)
    heading, message, label = _copy().get(kind.value) or DEFAULT_COPY[kind]
    subscribe = _with_next(settings.PAYWALL_SUBSCRIBE_URL, next_url)
    login = Link("Log in", _with_next(settings.LOGIN_URL, next_url))
    if kind == Prompt.REGISTER:
        return PromptView(
            kind, heading, message, Link(label, _with_next(settings.PAYWALL_REGISTER_URL, next_url)), login
        )
    if kind == Prompt.UPDATE_PAYMENT:
        return PromptView(kind, heading, message, Link(label, settings.PAYWALL_BILLING_URL))
    if kind == Prompt.SUBSCRIBE_OR_LOG_IN:
        return PromptView(kind, heading, message, Link(label, subscribe), login, offers=links)
    return PromptView(kind, heading, message, Link(label, subscribe), offers=links)
