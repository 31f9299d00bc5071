"""Stripe's subscription statuses and periods, in masthead's words (pure: no database)."""

from __future__ import annotations

import pytest

from masthead.billing.stripe_sync import subscription_facts, when
from masthead.billing.tests.stripe_fakes import recorded

START, END = 1_793_491_200, 1_796_083_200


@pytest.mark.parametrize(
    ("stripe_status", "status", "paid_through"),
    [
        ("incomplete", "incomplete", None),
        ("trialing", "trialing", END),
        ("active", "active", END),
        ("past_due", "past_due", START),  # in a period it has not paid for
        ("unpaid", "unpaid", START),
        ("paused", "unpaid", START),
        ("incomplete_expired", "canceled", None),
        ("canceled", "canceled", None),
    ],
)
def test_it_maps_each_status(stripe_status, status, paid_through):
    facts = subscription_facts({**recorded("subscription.json"), "status": stripe_status})

    assert facts["status"] == status
    assert facts.get("paid_through") == (when(paid_through) if paid_through else None)
    assert (facts["current_period_start"], facts["current_period_end"]) == (when(START), when(END))


def test_it_reads_the_period_where_older_api_versions_put_it():
    sub = {**recorded("subscription.json"), "current_period_start": START + 1, "current_period_end": END + 1}

    assert subscription_facts(sub)["current_period_end"] == when(END + 1)
