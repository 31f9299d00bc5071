"""The sandbox never keeps a full card number or security code, anywhere it writes."""

from __future__ import annotations

import pytest

from masthead.billing import inbox
from masthead.billing.gateways.base import CardDetails, CardError
from masthead.billing.gateways.sandbox import SandboxGateway, fingerprint
from masthead.billing.sandbox.models import SandboxCard, SandboxCharge, SandboxCustomer, SandboxRefund
from masthead.lib import clock

NUMBERS = ["4242424242424242", "4000000000000341", "5555555555554444", "378282246310005", "4000000000000002"]


@pytest.fixture
def events(monkeypatch):
    received = []
    monkeypatch.setattr(inbox, "receive", lambda **event: received.append(event) or True)
    return received


def every_stored_value():
    for model in (SandboxCustomer, SandboxCard, SandboxCharge, SandboxRefund):
        for row in model.objects.all():
            for field in model._meta.concrete_fields:
                yield f"{model.__name__}.{field.name}", str(field.value_from_object(row))


def test_it_stores_no_full_number_or_cvc(db, events, django_capture_on_commit_callbacks):
    gateway = SandboxGateway()
    year = clock.now().year + 2
    with django_capture_on_commit_callbacks(execute=True):
        customer = gateway.create_customer(email="reader@example.com", reader_id=1, idempotency_key="c")
        for n, number in enumerate(NUMBERS):
            cvc = "7319" if number.startswith("37") else "731"
            try:
                info = gateway.attach_card(
                    customer_id=customer,
                    card=CardDetails(number=number, exp_month=4, exp_year=year, cvc=cvc, name="A Reader"),
                    idempotency_key=f"card-{n}",
                )
            except CardError:
                continue
            charge = gateway.charge(
                customer_id=customer,
                payment_method_id=info.id,
                amount=1500,
                currency="USD",
                idempotency_key=f"charge-{n}",
                metadata={"plan": "monthly"},
            )
            if charge.succeeded:
                gateway.refund(charge_id=charge.id, amount=500, idempotency_key=f"refund-{n}")

    stored = list(every_stored_value()) + [("event", repr(event)) for event in events]
    assert SandboxCard.objects.count() == 4 and SandboxRefund.objects.count() == 3
    for number in NUMBERS:
        for where, value in stored:
            assert number not in value, f"{where} holds a full card number"
            assert number[:12] not in value, f"{where} holds most of a card number"
    for where, value in stored:
        assert value not in {"731", "7319"}, f"{where} holds a security code"
    for model in (SandboxCustomer, SandboxCard, SandboxCharge, SandboxRefund):
        names = {field.name for field in model._meta.concrete_fields}
        assert not names & {"number", "card_number", "cvc", "cvv"}, model


def test_it_fingerprints_with_the_sites_secret(settings):
    settings.SECRET_KEY = "one-secret"
    first = fingerprint("4242424242424242", secret=settings.SECRET_KEY)
    assert fingerprint("4242424242424242", secret="one-secret") == first
    assert fingerprint("4242424242424242", secret="another-secret") != first
    assert len(first) == 16 and int(first, 16) >= 0
