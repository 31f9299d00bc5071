"""A renewal costs a fixed, small number of queries: the worker renews every due subscription in one run, and
bench/renewals renews 100,000 of them. The bound counts everything a renewal does, the sandbox's charge and what
runs after the commit (its event into the inbox, the queued receipt) included, as the benchmark counts it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from masthead.billing import actions
from masthead.billing.models import Invoice, Subscription
from masthead.billing.pricing import add_months
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.lifecycle import card_starts_failing, subscribe

START = dt.datetime(2027, 1, 31, 15, 0, tzinfo=dt.UTC)
# 38 before the claim took its reader, plan and card along, the renewal saved the subscription once, and the
# invoice number, the new invoice's line and its (absent) failed payments stopped being read back.
MAX_QUERIES = 25


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("card_works", [True, False], ids=["paid", "declined"])
def test_it_renews_in_a_bounded_number_of_queries(catalogue, reader, django_assert_max_num_queries, card_works):
    reverse("wagtailadmin_home")  # the admin loaded, as in a web process: its viewsets must add no work to a save
    subscription = subscribe(reader, catalogue.monthly, at=START)
    if not card_works:
        card_starts_failing(subscription)

    with time_machine.travel(add_months(START, 1), tick=False), django_assert_max_num_queries(MAX_QUERIES):
        invoice = actions.subscription_renew(subscription=Subscription(pk=subscription.pk))

    invoice.refresh_from_db()
    assert invoice.status == (Invoice.Status.PAID if card_works else Invoice.Status.OPEN)
    assert SandboxCharge.objects.filter(idempotency_key=f"renewal:{subscription.pk}:1:attempt:1").count() == 1
    subscription.refresh_from_db()
    assert subscription.status == ("active" if card_works else "past_due")
