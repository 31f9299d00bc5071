"""The sandbox's charge rules beyond the contract: expiry at charge time, whose card, and reused keys."""

from __future__ import annotations

import pytest

from masthead.billing import inbox
from masthead.billing.gateways.base import CardDetails
from masthead.billing.gateways.sandbox import SandboxGateway
from masthead.billing.sandbox.models import SandboxCharge


@pytest.fixture
def gateway(db, monkeypatch):
    monkeypatch.setattr(inbox, "receive", lambda **event: True)
    return SandboxGateway()


@pytest.fixture
def customer(gateway):
    return gateway.create_customer(email="reader@example.com", reader_id=1, idempotency_key="c1")


def visa(exp_month=12, exp_year=2031):
    return CardDetails(number="4242424242424242", exp_month=exp_month, exp_year=exp_year, cvc="123")


def test_it_declines_a_card_that_has_expired_since_it_was_attached(gateway, customer, time_machine):
    time_machine.move_to("2031-03-01T00:00:00Z", tick=False)
    info = gateway.attach_card(customer_id=customer, card=visa(3, 2031), idempotency_key="pm1")
    assert gateway.charge(
        customer_id=customer, payment_method_id=info.id, amount=100, currency="USD", idempotency_key="ch1"
    ).succeeded

    time_machine.move_to("2031-04-01T00:00:00Z", tick=False)
    result = gateway.charge(
        customer_id=customer, payment_method_id=info.id, amount=100, currency="USD", idempotency_key="ch2"
    )

    assert (result.succeeded, result.decline_code, result.message) == (False, "expired_card", "Your card has expired.")


def test_it_reads_a_two_digit_year_as_this_century(gateway, customer, time_machine):
    time_machine.move_to("2031-03-01T00:00:00Z", tick=False)

    assert gateway.attach_card(customer_id=customer, card=visa(5, 33), idempotency_key="pm1").exp_year == 2033


def test_it_refuses_another_customers_card(gateway, customer):
    other = gateway.create_customer(email="other@example.com", reader_id=2, idempotency_key="c2")
    info = gateway.attach_card(customer_id=other, card=visa(), idempotency_key="pm1")

    with pytest.raises(ValueError, match="does not belong"):
        gateway.charge(customer_id=customer, payment_method_id=info.id, amount=100, currency="USD", idempotency_key="x")
    assert not SandboxCharge.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", 0), ("amount", -5), ("amount", 1.5), ("amount", True), ("currency", "US"), ("currency", "U$D")],
)
def test_it_refuses_a_malformed_charge(gateway, customer, field, value):
    info = gateway.attach_card(customer_id=customer, card=visa(), idempotency_key="pm1")
    request = {"amount": 100, "currency": "USD"} | {field: value}

    with pytest.raises(ValueError):
        gateway.charge(customer_id=customer, payment_method_id=info.id, idempotency_key="ch1", **request)


def test_it_refuses_unknown_ids(gateway, customer):
    with pytest.raises(ValueError):
        gateway.attach_card(customer_id="cus_sbx_nobody", card=visa(), idempotency_key="pm1")
    with pytest.raises(ValueError):
        gateway.charge(
            customer_id=customer, payment_method_id="pm_sbx_none", amount=1, currency="USD", idempotency_key="k"
        )
    with pytest.raises(ValueError):
        gateway.refund(charge_id="ch_sbx_none", amount=1, idempotency_key="r")


def test_it_refuses_a_key_reused_for_a_different_request(gateway, customer):
    info = gateway.attach_card(customer_id=customer, card=visa(), idempotency_key="pm1")
    paid = gateway.charge(
        customer_id=customer, payment_method_id=info.id, amount=100, currency="USD", idempotency_key="k"
    )

    with pytest.raises(ValueError, match="different amount"):
        gateway.charge(customer_id=customer, payment_method_id=info.id, amount=999, currency="USD", idempotency_key="k")
    with pytest.raises(ValueError, match="different reader_id"):
        gateway.create_customer(email="reader@example.com", reader_id=7, idempotency_key="c1")
    gateway.refund(charge_id=paid.id, amount=10, idempotency_key="r")
    with pytest.raises(ValueError, match="different amount"):
        gateway.refund(charge_id=paid.id, amount=20, idempotency_key="r")
    assert SandboxCharge.objects.get().amount_refunded == 10


def test_it_keeps_the_charges_details(gateway, customer):
    info = gateway.attach_card(customer_id=customer, card=visa(), idempotency_key="pm1")
    result = gateway.charge(
        customer_id=customer,
        payment_method_id=info.id,
        amount=1999,
        currency="eur",
        idempotency_key="ch1",
        description="Digital, yearly",
        metadata={"subscription": "3"},
    )

    charge = SandboxCharge.objects.get()
    assert result.id == charge.id and result.id.startswith("ch_sbx_")
    assert (charge.amount, charge.currency, charge.description, charge.metadata) == (
        1999,
        "EUR",
        "Digital, yearly",
        {"subscription": "3"},
    )
    assert result.currency == "EUR"
    assert charge.amount_display == "19.99 EUR"
