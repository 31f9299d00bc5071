"""Every sandbox outcome reaches the provider-event inbox as a Stripe-shaped event, after commit and only then."""

from __future__ import annotations

import pytest
from django.db import transaction

from masthead.billing import inbox
from masthead.billing.gateways.base import CardDetails, CardError
from masthead.billing.gateways.sandbox import SandboxGateway
from masthead.lib import clock


@pytest.fixture
def events(monkeypatch):
    """The events the inbox received, in order, each as the keyword arguments of ``inbox.receive``."""
    received = []
    monkeypatch.setattr(inbox, "receive", lambda **event: received.append(event) or True)
    return received


def card(number="4242424242424242"):
    return CardDetails(number=number, exp_month=8, exp_year=clock.now().year + 2, cvc="123")


def test_it_emits_an_event_for_each_outcome(db, events, django_capture_on_commit_callbacks):
    gateway = SandboxGateway()
    with django_capture_on_commit_callbacks(execute=True):
        customer = gateway.create_customer(email="reader@example.com", reader_id=42, idempotency_key="c1")
        good = gateway.attach_card(customer_id=customer, card=card(), idempotency_key="pm1")
        bad = gateway.attach_card(customer_id=customer, card=card("4000000000000341"), idempotency_key="pm2")
        paid = gateway.charge(
            customer_id=customer,
            payment_method_id=good.id,
            amount=1500,
            currency="USD",
            idempotency_key="ch1",
            description="Digital, monthly",
            metadata={"subscription": "9"},
        )
        failed = gateway.charge(
            customer_id=customer, payment_method_id=bad.id, amount=1500, currency="USD", idempotency_key="ch2"
        )
        refund = gateway.refund(charge_id=paid.id, amount=500, idempotency_key="re1")

    assert [event["type"] for event in events] == [
        "customer.created",
        "payment_method.attached",
        "payment_method.attached",
        "charge.succeeded",
        "charge.failed",
        "charge.refunded",
    ]
    assert {event["provider"] for event in events} == {"sandbox"}
    assert all(event["event_id"].startswith("evt_sbx_") for event in events)
    assert len({event["event_id"] for event in events}) == len(events)

    created, attached, _, succeeded, declined, refunded = (event["payload"] for event in events)
    assert created == {
        "id": customer,
        "object": "customer",
        "email": "reader@example.com",
        "created": created["created"],
        "livemode": False,
        "metadata": {"reader_id": "42"},
    }
    assert (attached["id"], attached["customer"], attached["type"]) == (good.id, customer, "card")
    assert attached["card"] == {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 8,
        "exp_year": good.exp_year,
        "fingerprint": good.fingerprint,
    }
    assert succeeded["id"] == paid.id
    assert (succeeded["amount"], succeeded["currency"], succeeded["status"], succeeded["paid"]) == (
        1500,
        "usd",
        "succeeded",
        True,
    )
    assert (succeeded["customer"], succeeded["payment_method"]) == (customer, good.id)
    assert (succeeded["failure_code"], succeeded["failure_message"]) == (None, None)
    assert succeeded["metadata"] == {"subscription": "9"}
    assert succeeded["description"] == "Digital, monthly"
    assert (declined["id"], declined["status"], declined["paid"]) == (failed.id, "failed", False)
    assert (declined["failure_code"], declined["failure_message"]) == ("card_declined", "Your card was declined.")
    assert (refunded["id"], refunded["amount_refunded"], refunded["refunded"]) == (paid.id, 500, False)
    assert [(r["id"], r["amount"]) for r in refunded["refunds"]["data"]] == [(refund.id, 500)]


def test_it_emits_nothing_for_a_card_refused_at_attach(db, events, django_capture_on_commit_callbacks):
    gateway = SandboxGateway()
    with django_capture_on_commit_callbacks(execute=True):
        customer = gateway.create_customer(email="reader@example.com", reader_id=42, idempotency_key="c1")
        with pytest.raises(CardError):
            gateway.attach_card(customer_id=customer, card=card("4000000000000002"), idempotency_key="pm1")

    assert [event["type"] for event in events] == ["customer.created"]


def test_it_emits_nothing_again_for_a_repeated_key(db, events, django_capture_on_commit_callbacks):
    gateway = SandboxGateway()
    with django_capture_on_commit_callbacks(execute=True):
        customer = gateway.create_customer(email="reader@example.com", reader_id=42, idempotency_key="c1")
        info = gateway.attach_card(customer_id=customer, card=card(), idempotency_key="pm1")
        paid = gateway.charge(
            customer_id=customer, payment_method_id=info.id, amount=900, currency="USD", idempotency_key="ch1"
        )
        gateway.refund(charge_id=paid.id, amount=900, idempotency_key="re1")
    before = len(events)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        gateway.create_customer(email="reader@example.com", reader_id=42, idempotency_key="c1")
        gateway.attach_card(customer_id=customer, card=card(), idempotency_key="pm1")
        gateway.charge(
            customer_id=customer, payment_method_id=info.id, amount=900, currency="USD", idempotency_key="ch1"
        )
        gateway.refund(charge_id=paid.id, amount=900, idempotency_key="re1")

    assert callbacks == []
    assert len(events) == before == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_emits_only_when_the_callers_transaction_commits(events):
    gateway = SandboxGateway()
    customer = gateway.create_customer(email="reader@example.com", reader_id=42, idempotency_key="c1")
    info = gateway.attach_card(customer_id=customer, card=card(), idempotency_key="pm1")
    assert [event["type"] for event in events] == ["customer.created", "payment_method.attached"]

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        gateway.charge(
            customer_id=customer, payment_method_id=info.id, amount=900, currency="USD", idempotency_key="ch1"
        )
        assert len(events) == 2  # not before commit either
        raise Abandon

    assert len(events) == 2

    with transaction.atomic():
        result = gateway.charge(
            customer_id=customer, payment_method_id=info.id, amount=900, currency="USD", idempotency_key="ch1"
        )
        assert len(events) == 2

    assert events[-1]["type"] == "charge.succeeded"
    assert events[-1]["payload"]["id"] == result.id
