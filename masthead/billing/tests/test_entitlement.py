"""Entitlement is computed from subscriptions, for every status."""

import datetime as dt

import pytest

from masthead.billing.entitlement import SubscriptionFacts, standing
from masthead.metering.rules import Segment

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
LATER, EARLIER = NOW + dt.timedelta(days=10), NOW - dt.timedelta(days=2)


def sub(status, paid_through=LATER, cancel=False):
    return SubscriptionFacts(status, paid_through, cancel)


@pytest.mark.parametrize(
    ("subscriptions", "segment", "entitled"),
    [
        ([], Segment.REGISTERED, False),
        ([sub("incomplete")], Segment.REGISTERED, False),
        ([sub("active")], Segment.SUBSCRIBER, True),
        ([sub("trialing")], Segment.SUBSCRIBER, True),
        ([sub("active", cancel=True)], Segment.SUBSCRIBER, True),  # canceled at period end: until paid_through
        ([sub("active", EARLIER, cancel=True)], Segment.FORMER_SUBSCRIBER, False),
        ([sub("canceled", LATER)], Segment.SUBSCRIBER, True),  # canceled, but already paid for
        ([sub("canceled", EARLIER)], Segment.FORMER_SUBSCRIBER, False),
        ([sub("past_due", EARLIER)], Segment.PAYMENT_FAILED, False),
        ([sub("unpaid", EARLIER)], Segment.FORMER_SUBSCRIBER, False),
        ([sub("canceled", EARLIER), sub("active")], Segment.SUBSCRIBER, True),
        ([sub("canceled", EARLIER), sub("past_due", EARLIER)], Segment.PAYMENT_FAILED, False),
    ],
)
def test_it_derives_the_standing_from_the_subscriptions(subscriptions, segment, entitled):
    result = standing(subscriptions, NOW)
    assert (result.segment, result.entitled) == (segment, entitled)


def test_grace_days_keep_a_past_due_reader_reading():
    failed = [sub("past_due", NOW - dt.timedelta(days=2))]
    assert standing(failed, NOW, grace_days=3).entitled
    assert not standing(failed, NOW, grace_days=1).entitled
