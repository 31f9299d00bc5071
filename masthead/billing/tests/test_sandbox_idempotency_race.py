"""Two calls with one idempotency key that both miss the first look-up still act once.

The race is forced rather than timed: the look-up is made to miss, so the
second call reaches the insert and meets the unique constraint, as a
concurrent repeat would.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from masthead.billing import inbox
from masthead.billing.gateways import sandbox
from masthead.billing.gateways.base import CardDetails
from masthead.billing.sandbox.models import SandboxCard, SandboxCharge, SandboxCustomer, SandboxRefund
from masthead.lib import clock


@pytest.fixture
def events(monkeypatch):
    received = []
    monkeypatch.setattr(inbox, "receive", lambda **event: received.append(event) or True)
    return received


@pytest.fixture
def lookups_miss(monkeypatch):
    """From now on, every look-up by idempotency key finds nothing, as if a concurrent call had not committed yet."""

    def arm():
        monkeypatch.setattr(sandbox, "_by_key", lambda model, key: None)

    return arm


def test_it_acts_once_when_a_repeat_loses_the_race(db, events, lookups_miss, django_capture_on_commit_callbacks):
    gateway = sandbox.SandboxGateway()
    card = CardDetails(number="4242424242424242", exp_month=1, exp_year=clock.now().year + 1, cvc="123")
    with django_capture_on_commit_callbacks(execute=True):
        customer = gateway.create_customer(email="r@example.com", reader_id=1, idempotency_key="c")
        info = gateway.attach_card(customer_id=customer, card=card, idempotency_key="pm")
        paid = gateway.charge(
            customer_id=customer, payment_method_id=info.id, amount=800, currency="USD", idempotency_key="ch"
        )
        refund = gateway.refund(charge_id=paid.id, amount=300, idempotency_key="re")
    lookups_miss()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert gateway.create_customer(email="r@example.com", reader_id=1, idempotency_key="c") == customer
        assert gateway.attach_card(customer_id=customer, card=card, idempotency_key="pm") == info
        assert (
            gateway.charge(
                customer_id=customer, payment_method_id=info.id, amount=800, currency="USD", idempotency_key="ch"
            )
            == paid
        )
        assert gateway.refund(charge_id=paid.id, amount=300, idempotency_key="re") == refund
        # The caller's transaction is still usable after the lost inserts.
        assert SandboxCustomer.objects.count() == 1

    assert (SandboxCard.objects.count(), SandboxCharge.objects.count(), SandboxRefund.objects.count()) == (1, 1, 1)
    assert SandboxCharge.objects.get().amount_refunded == 300
    assert len(events) == 4
