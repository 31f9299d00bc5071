"""Dunning: retries on the configured days; after the last, the reader is back on the free tier, and paying the
open invoice restores access."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model

from masthead.billing import actions
from masthead.billing.models import Invoice, Payment, Subscription
from masthead.billing.pricing import add_months
from masthead.billing.selectors import reader_standing
from masthead.billing.tests.conftest import card, new_key
from masthead.billing.tests.lifecycle import card_starts_failing, renew_at, retry_at, subscribe
from masthead.metering.rules import Segment

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 4, 10, 10, 0, tzinfo=dt.UTC)
DUE = add_months(START, 1)


def fresh(reader):
    return get_user_model().objects.get(pk=reader.pk)  # standing is cached per user object, as per request


def lapse(catalogue, reader) -> Subscription:
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    renew_at(DUE)
    for day in (1, 3, 5, 7):
        retry_at(DUE + dt.timedelta(days=day, minutes=1))
    subscription.refresh_from_db()
    return subscription


def test_it_retries_on_the_configured_days_then_leaves_it_unpaid(catalogue, reader):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    renew_at(DUE)
    for day, expected_next in ((1, 3), (3, 5), (5, 7)):
        assert retry_at(DUE + dt.timedelta(days=day) - dt.timedelta(minutes=1)) == 0  # not yet
        assert retry_at(DUE + dt.timedelta(days=day)) == 1
        subscription.refresh_from_db()
        assert subscription.status == "past_due"
        assert subscription.next_retry_at == DUE + dt.timedelta(days=expected_next)
    with time_machine.travel(DUE + dt.timedelta(days=6), tick=False):
        assert reader_standing(fresh(reader)).segment == Segment.PAYMENT_FAILED
    retry_at(DUE + dt.timedelta(days=7))
    subscription.refresh_from_db()
    assert (subscription.status, subscription.next_retry_at, subscription.failed_attempts) == ("unpaid", None, 5)
    assert Payment.objects.filter(invoice__period_index=1).count() == 5
    assert retry_at(DUE + dt.timedelta(days=30)) == 0


def test_it_puts_the_reader_back_on_the_free_tier_and_paying_restores_access(catalogue, reader):
    subscription = lapse(catalogue, reader)
    with time_machine.travel(DUE + dt.timedelta(days=8), tick=False):
        standing = reader_standing(fresh(reader))
        assert not standing.entitled
        assert standing.segment == Segment.FORMER_SUBSCRIBER  # unpaid: entitlement treats it as lapsed

        customer = actions.customer_ensure(reader=reader)
        method = actions.payment_method_add(customer=customer, card=card(), idempotency_key=new_key(), actor=reader)
        Subscription.objects.filter(pk=subscription.pk).update(payment_method=method)
        invoice = Invoice.objects.get(subscription=subscription, period_index=1)
        outcome = actions.invoice_pay(invoice=invoice, actor=reader)

        assert outcome.paid
        subscription.refresh_from_db()
        assert (subscription.status, subscription.period_index) == ("active", 1)
        assert reader_standing(fresh(reader)).entitled


def test_it_cancels_after_the_last_retry_when_configured(catalogue, reader, settings):
    settings.BILLING_RETRY_DAYS = (2,)
    settings.BILLING_FINAL_STATUS = "canceled"
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    renew_at(DUE)
    subscription.refresh_from_db()
    assert subscription.next_retry_at == DUE + dt.timedelta(days=2)
    retry_at(DUE + dt.timedelta(days=2))

    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert Invoice.objects.get(subscription=subscription, period_index=1).status == "void"
    with time_machine.travel(DUE + dt.timedelta(days=3), tick=False):
        assert reader_standing(fresh(reader)).segment == Segment.FORMER_SUBSCRIBER
