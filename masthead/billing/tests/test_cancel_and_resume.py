"""A reader cancels at the period's end, keeps access until then, and may resume before it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions
from masthead.billing.models import LedgerEntry
from masthead.billing.pricing import add_months
from masthead.billing.tests.lifecycle import renew_at, subscribe

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC)


def test_it_cancels_at_the_period_end_and_resumes_before_it(catalogue, reader, notices):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    with time_machine.travel(START + dt.timedelta(days=10), tick=False):
        actions.subscription_cancel(subscription=subscription, at_period_end=True, actor=reader)
        assert subscription.cancel_at_period_end and subscription.status == "active"
        with pytest.raises(actions.BillingRefused) as twice:
            actions.subscription_cancel(subscription=subscription, at_period_end=True, actor=reader)
        assert "already set to end" in twice.value.message
        actions.subscription_resume(subscription=subscription, actor=reader)
    assert not subscription.cancel_at_period_end
    assert notices.kinds()[-2:] == ["cancellation_confirmed", "subscription_resumed"]
    entries = LedgerEntry.objects.filter(subscription=subscription, kind="subscription.transition")
    assert [e.data["event"] for e in entries] == ["CheckoutPaid", "CancelAtPeriodEnd", "Resume"]
    assert entries.last().actor_label == "reader:reader@example.com"

    renew_at(add_months(START, 1))
    subscription.refresh_from_db()
    assert (subscription.status, subscription.period_index) == ("active", 1)


def test_it_refuses_to_resume_after_the_period_ended(catalogue, reader):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    actions.subscription_cancel(subscription=subscription, at_period_end=True, actor=reader)
    renew_at(add_months(START, 1))
    with pytest.raises(actions.BillingRefused) as refused:
        actions.subscription_resume(subscription=subscription, actor=reader)
    assert "has ended" in refused.value.message
