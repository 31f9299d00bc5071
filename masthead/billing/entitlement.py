"""Entitlement: what a reader's subscriptions entitle them to, right now.

Computed from the subscriptions every time, never stored or incremented, so it
cannot drift from the facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from masthead.metering.rules import Segment

LIVE = {"trialing", "active"}


@dataclass(frozen=True)
class SubscriptionFacts:
    status: str  # incomplete, trialing, active, past_due, unpaid, canceled
    paid_through: dt.datetime | None
    cancel_at_period_end: bool = False


@dataclass(frozen=True)
class Standing:
    segment: Segment
    entitled: bool  # may read everything

    @property
    def payment_failed(self) -> bool:
        return self.segment == Segment.PAYMENT_FAILED


ANONYMOUS = Standing(Segment.ANONYMOUS, entitled=False)


def standing(subscriptions: Iterable[SubscriptionFacts], now: dt.datetime, *, grace_days: int = 0) -> Standing:
    """A signed-in reader's standing, from all their subscriptions.

    - trialing or active: entitled (a cancellation at period end keeps access until ``paid_through``);
    - past_due: entitled during ``grace_days`` after ``paid_through``, otherwise payment-failed;
    - anything that ever was a subscription but is not live: a former subscriber;
    - no subscriptions (or only incomplete checkouts): registered.
    """
    subscriptions = list(subscriptions)
    for sub in subscriptions:
        if sub.status in LIVE and (sub.paid_through is None or sub.paid_through > now or not sub.cancel_at_period_end):
            return Standing(Segment.SUBSCRIBER, entitled=True)
        if sub.status == "canceled" and sub.paid_through and sub.paid_through > now:
            return Standing(Segment.SUBSCRIBER, entitled=True)
    for sub in subscriptions:
        if sub.status == "past_due":
            if grace_days and sub.paid_through and now < sub.paid_through + dt.timedelta(days=grace_days):
                return Standing(Segment.SUBSCRIBER, entitled=True)
            return Standing(Segment.PAYMENT_FAILED, entitled=False)
    if any(sub.status != "incomplete" for sub in subscriptions):
        return Standing(Segment.FORMER_SUBSCRIBER, entitled=False)
    return Standing(Segment.REGISTERED, entitled=False)
