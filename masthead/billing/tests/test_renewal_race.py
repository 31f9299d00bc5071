"""Two workers renewing the same subscriptions at once charge each period once."""

from __future__ import annotations

import datetime as dt

import pytest

from masthead.billing import actions
from masthead.billing.models import Invoice, Payment, Subscription
from masthead.billing.pricing import add_months
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.conftest import Catalogue
from masthead.billing.tests.lifecycle import subscribe
from masthead.lib.tests.threads import workers

START = dt.datetime(2027, 3, 15, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_charges_each_period_once_when_two_workers_renew_at_once(django_user_model):
    catalogue = Catalogue()
    readers = [django_user_model.objects.create_user(email=f"r{n}@example.com", password="x") for n in range(6)]
    subscriptions = [subscribe(reader, catalogue.monthly, at=START) for reader in readers]
    due = add_months(START, 1)

    results = workers(2, lambda: actions.renewals_run(now=due))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == len(subscriptions)  # between them, each renewed once
    assert SandboxCharge.objects.count() == 2 * len(subscriptions)  # checkout + one renewal each
    for subscription in subscriptions:
        subscription.refresh_from_db()
        assert (subscription.status, subscription.period_index) == ("active", 1)
        assert Invoice.objects.filter(subscription=subscription).count() == 2
    assert Payment.objects.count() == 2 * len(subscriptions)
    keys = list(SandboxCharge.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_charges_once_when_two_workers_race_for_one_subscription(reader):
    catalogue = Catalogue()
    subscription = subscribe(reader, catalogue.monthly, at=START)
    due = add_months(START, 1)

    results = workers(2, lambda: actions.subscription_renew(subscription=subscription, now=due))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r is not None for r in results) == 1
    assert SandboxCharge.objects.filter(metadata__subscription=str(subscription.pk)).count() == 2
    assert Subscription.objects.get(pk=subscription.pk).period_index == 1
