"""The renewal worker charges every subscription whose period has ended, once, at the schedule's price."""

from __future__ import annotations

import datetime as dt

import pytest

from masthead.billing import tasks
from masthead.billing.models import Invoice, LedgerEntry, Offer, Payment, Subscription
from masthead.billing.pricing import add_months
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.lifecycle import renew_at, subscribe
from masthead.ops import schedule

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 31, 15, 0, tzinfo=dt.UTC)


def test_it_renews_a_due_subscription_and_sends_a_receipt(catalogue, reader, notices):
    subscription = subscribe(reader, catalogue.monthly, at=START)

    assert renew_at(add_months(START, 1) - dt.timedelta(seconds=1)) == 0  # due Feb 28, 15:00
    assert renew_at(add_months(START, 1)) == 1

    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert subscription.period_index == 1
    assert subscription.current_period_start == dt.datetime(2027, 2, 28, 15, 0, tzinfo=dt.UTC)
    assert subscription.paid_through == dt.datetime(2027, 3, 31, 15, 0, tzinfo=dt.UTC)
    invoice = Invoice.objects.get(subscription=subscription, period_index=1)
    assert (invoice.status, invoice.total) == ("paid", 1500)
    assert Payment.objects.get(invoice=invoice).idempotency_key == f"renewal:{subscription.pk}:1:attempt:1"
    assert notices.kinds() == ["receipt", "receipt"]  # checkout's and the renewal's
    assert notices[-1][1] == {"invoice_id": invoice.pk}
    assert LedgerEntry.objects.filter(subscription=subscription, kind="payment.succeeded").count() == 2


def test_it_keeps_month_end_anchors_over_many_renewals(catalogue, reader):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    for months in range(1, 5):
        renew_at(add_months(START, months))
    subscription.refresh_from_db()
    ends = [i.period_end.date().isoformat() for i in Invoice.objects.filter(subscription=subscription).order_by("pk")]
    assert ends == ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"]


def test_it_rolls_an_intro_price_over_to_the_plan_price(catalogue, reader):
    offer = Offer.objects.create(
        code="intro-code",
        headline="$0.99 for two months",
        plan=catalogue.monthly,
        kind="intro_price",
        intro_amount=99,
        intro_periods=2,
        segments=["registered"],
        channel="code",
        public_code="HELLO",
    )
    subscription = subscribe(
        reader, catalogue.monthly, at=START, offer=offer, public_code="HELLO", segment="registered"
    )
    for months in range(1, 4):
        renew_at(add_months(START, months))
    totals = list(
        Invoice.objects.filter(subscription=subscription).order_by("period_index").values_list("total", flat=True)
    )
    assert totals == [99, 99, 1500, 1500]
    assert list(SandboxCharge.objects.order_by("created", "id").values_list("amount", flat=True)) == totals


def test_it_ends_a_subscription_set_to_cancel_instead_of_renewing(catalogue, reader, notices):
    from masthead.billing import actions

    subscription = subscribe(reader, catalogue.monthly, at=START)
    actions.subscription_cancel(subscription=subscription, at_period_end=True, actor=reader)
    renew_at(add_months(START, 1))

    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert Invoice.objects.filter(subscription=subscription).count() == 1
    assert SandboxCharge.objects.count() == 1
    assert notices.kinds()[-2:] == ["cancellation_confirmed", "subscription_ended"]


def test_it_charges_once_when_run_twice(catalogue, reader):
    subscribe(reader, catalogue.monthly, at=START)
    renew_at(add_months(START, 1))
    renew_at(add_months(START, 1) + dt.timedelta(minutes=5))
    assert SandboxCharge.objects.count() == 2
    assert Subscription.objects.get().period_index == 1


def test_it_runs_the_renewal_retry_and_reminder_jobs_periodically():
    jobs = schedule.discover()
    assert jobs[tasks.renew_subscriptions.module_path].every <= dt.timedelta(minutes=15)
    assert tasks.retry_renewals.module_path in jobs
    assert tasks.send_reminders.module_path in jobs
