"""A worker that dies after the gateway charged but before its transaction committed: the rerun asks with the
same idempotency key, so the period is charged once."""

from __future__ import annotations

import datetime as dt

import pytest

from masthead.billing import actions
from masthead.billing.gateways import get_gateway, use_gateway
from masthead.billing.gateways.sandbox import SandboxGateway
from masthead.billing.models import Invoice, Payment
from masthead.billing.pricing import add_months
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.lifecycle import card_starts_failing, renew_at, retry_at, subscribe

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 5, 10, 12, 0, tzinfo=dt.UTC)


class Killed(Exception):
    pass


class DiesAfterCharging(SandboxGateway):
    """Charges, remembers the key (as a processor outside our database would), then kills the worker once."""

    def __init__(self):
        self.keys: list[str] = []
        self.kill = True

    def charge(self, **kwargs):
        result = super().charge(**kwargs)
        self.keys.append(kwargs["idempotency_key"])
        if self.kill:
            self.kill = False
            raise Killed
        return result


@pytest.fixture
def dying_gateway():
    gateway = DiesAfterCharging()
    previous = use_gateway(gateway)
    yield gateway
    use_gateway(previous)


def test_it_makes_no_second_charge_after_a_crash_between_charge_and_commit(catalogue, reader, dying_gateway):
    dying_gateway.kill = False
    subscription = subscribe(reader, catalogue.monthly, at=START)
    dying_gateway.kill, dying_gateway.keys = True, []
    due = add_months(START, 1)

    with pytest.raises(Killed):
        actions.subscription_renew(subscription=subscription, now=due)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.renewal_pending, subscription.period_index) == ("active", False, 0)
    assert not Invoice.objects.filter(subscription=subscription, period_index=1).exists()

    assert renew_at(due + dt.timedelta(minutes=5)) == 1

    assert dying_gateway.keys == [f"renewal:{subscription.pk}:1:attempt:1"] * 2  # the rerun asked with the same key
    subscription.refresh_from_db()
    assert (subscription.status, subscription.period_index) == ("active", 1)
    assert SandboxCharge.objects.filter(metadata__subscription=str(subscription.pk)).count() == 2  # checkout + 1
    assert Payment.objects.filter(invoice__period_index=1, status="succeeded").count() == 1


def test_it_reruns_a_crashed_retry_into_the_same_attempt(catalogue, reader, dying_gateway):
    dying_gateway.kill = False
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    due = add_months(START, 1)
    renew_at(due)  # attempt 1 declined, committed
    dying_gateway.kill, dying_gateway.keys = True, []

    with pytest.raises(Killed):
        actions.renewal_retry(subscription=subscription, now=due + dt.timedelta(days=1))
    retry_at(due + dt.timedelta(days=1, minutes=5))

    assert dying_gateway.keys == [f"renewal:{subscription.pk}:1:attempt:2"] * 2
    assert get_gateway() is dying_gateway
    assert Payment.objects.filter(invoice__period_index=1).count() == 2
