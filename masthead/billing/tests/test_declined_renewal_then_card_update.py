"""A declined renewal, then a new card: the open renewal is charged to it at once, once, and the subscription is
active again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions
from masthead.billing.models import Invoice, Payment
from masthead.billing.pricing import add_months
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.conftest import card, new_key
from masthead.billing.tests.lifecycle import card_starts_failing, renew_at, retry_at, subscribe

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)


def test_it_charges_the_period_once_to_the_new_card_and_reactivates(catalogue, reader, notices):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    due = add_months(START, 1)
    renew_at(due)
    subscription.refresh_from_db()
    assert subscription.status == "past_due"
    assert subscription.next_retry_at == due + dt.timedelta(days=1)
    assert "payment_failed" in notices.kinds()

    key = new_key()
    with time_machine.travel(due + dt.timedelta(hours=3), tick=False):
        outcome = actions.payment_method_update(subscription=subscription, card=card(), key=key, actor=reader)
        again = actions.payment_method_update(subscription=subscription, card=card(), key=key, actor=reader)

    assert outcome.paid and again.invoice is None  # the second submit of the same form charges nothing
    subscription.refresh_from_db()
    assert (subscription.status, subscription.period_index, subscription.next_retry_at) == ("active", 1, None)
    assert subscription.paid_through == add_months(START, 2)
    invoice = Invoice.objects.get(subscription=subscription, period_index=1)
    assert invoice.status == "paid"
    assert SandboxCharge.objects.filter(metadata__invoice=invoice.number, status="succeeded").count() == 1
    assert list(Payment.objects.filter(invoice=invoice).values_list("attempt", "status")) == [
        (1, "failed"),
        (2, "succeeded"),
    ]
    assert {"card_updated", "receipt"} <= set(notices.kinds())

    assert retry_at(due + dt.timedelta(days=1)) == 0  # the scheduled retry is gone
    assert SandboxCharge.objects.filter(metadata__invoice=invoice.number, status="succeeded").count() == 1
