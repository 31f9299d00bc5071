"""Which offers a reader may redeem, and the Subscribe button's token.

An offer sold "through the paywall only" is refused at checkout unless the
request carries a token that the paywall prompt minted: signed, expiring, and
bound to the reader and the offer. The token names the reader by the meter's
reader key (``a:<account>`` or ``c:<browser>``), so a token copied to another
browser or account is worthless.

A token minted in the app for an anonymous install (``d:<device>``) is the one
exception: the app opens checkout in a browser, which cannot show that it is
that install, so such a token is accepted from any browser until it expires
(``OFFER_TOKEN_MAX_AGE_HOURS``). It is still only ever shown on the app's
paywall, for one offer.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from masthead.lib import stamps

SALT = "masthead.billing.offer-token"
VERSION_KEY = stamps.register("billing:offers-version")
LIVE_KEY = "billing:live-offers:{version}"


@dataclass(frozen=True)
class OfferCard:
    """An offer as a prompt or the subscribe page shows it."""

    code: str
    headline: str
    description: str
    channel: str
    segments: tuple[str, ...]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None

    def is_live(self, now: dt.datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (self.ends_at is None or now < self.ends_at)


# --- Tokens ---------------------------------------------------------------------


class TokenProblem(Exception):
    """Why a token was refused, in words a reader can act on."""


def mint_token(*, offer_code: str, reader_key: str) -> str:
    return signing.dumps([offer_code, reader_key], salt=SALT, compress=False)


def check_token(token: str, *, offer_code: str, reader_keys: set[str]) -> None:
    """Raise TokenProblem unless ``token`` was minted for this offer and one of this reader's keys, recently."""
    if not token:
        raise TokenProblem("This offer is only available from the Subscribe button on a story.")
    max_age = dt.timedelta(hours=settings.OFFER_TOKEN_MAX_AGE_HOURS)
    try:
        code, reader_key = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenProblem(
            "This offer link has expired. Go back to the story and press Subscribe again to see today's offers."
        ) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise TokenProblem("This offer link is not valid. Press Subscribe on a story to see our offers.") from None
    if code != offer_code or (reader_key not in reader_keys and not reader_key.startswith("d:")):
        raise TokenProblem("This offer link was made for someone else. Press Subscribe on a story to see our offers.")


# --- Live offers, cached ---------------------------------------------------------


def version() -> str:
    """Changes whenever an offer or plan is saved: part of every cache key that shows offers.

    It starts from the clock, so a version lost from the cache never comes back
    as a number that older cached pages were stored under.
    """
    found = stamps.get(VERSION_KEY)
    if found is None:
        cache.add(VERSION_KEY, time.time_ns() // 1_000_000, None)
        found = cache.get(VERSION_KEY)
    return str(found)


def bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache: the next version() starts afresh from the clock
        pass


def live_offers(now: dt.datetime) -> list[OfferCard]:
    """Every active offer whose window includes ``now``, in display order; cached until offers change."""
    key = LIVE_KEY.format(version=version())
    cards = cache.get(key)
    if cards is None:
        from masthead.billing.models import Offer

        cards = [
            OfferCard(
                code=o.code,
                headline=o.headline,
                description=o.description,
                channel=o.channel,
                segments=tuple(o.segments or ()),
                starts_at=o.starts_at,
                ends_at=o.ends_at,
            )
            for o in Offer.objects.filter(active=True, plan__active=True).order_by("position", "code")
        ]
        cache.set(key, cards, 300)
    return [card for card in cards if card.is_live(now)]


def paywall_offers(segment: str, now: dt.datetime) -> list[OfferCard]:
    """The offers a paywall prompt shows to a reader of ``segment``."""
    return [card for card in live_offers(now) if segment in card.segments and card.channel == "paywall"]
