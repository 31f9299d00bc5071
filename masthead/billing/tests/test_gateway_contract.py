"""Every payment gateway keeps the same contract (gateways/base.py), checked here against each implementation.

The ``gateway`` fixture runs each test once per gateway; a new processor joins
by adding its name to the fixture's params and a branch that builds it (and
says how much money it has taken, for ``charged_total``). The ``cards``
fixture names Stripe's public test cards by what they do, so the tests read
the same whichever processor answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from masthead.billing.gateways.base import CardDetails, CardError, CardInfo, Gateway
from masthead.billing.tests.stripe_fakes import localstripe_url  # noqa: F401 - starts localstripe for "stripe"
from masthead.lib import clock


@dataclass(frozen=True)
class KnownCards:
    succeeds: str = "4242424242424242"  # visa
    declined: str = "4000000000000002"  # refused when attached: card_declined
    insufficient_funds: str = "4000000000009995"  # refused when attached: insufficient_funds
    charges_declined: str = "4000000000000341"  # attaches, then every charge is declined
    mastercard: str = "5555555555554444"
    amex: str = "378282246310005"


@pytest.fixture
def cards() -> KnownCards:
    return KnownCards()


# Where localstripe answers differently from Stripe, the test is expected to fail against it (strictly: if
# localstripe learns the behaviour, the mark must go). Stripe itself names the brand and says insufficient_funds.
LOCALSTRIPE_GAPS = {
    "test_it_names_the_brand_from_the_number": (
        lambda params: True,
        "localstripe calls every card visa and refuses 15-digit numbers",
    ),
    "test_it_refuses_a_declined_card_when_it_is_attached": (
        lambda params: params.get("which") == "insufficient_funds",
        "localstripe declines 4000 0000 0000 9995 as card_declined, not insufficient_funds",
    ),
}


@pytest.fixture(params=["sandbox", "stripe"])
def gateway(request, monkeypatch, db) -> Gateway:
    if request.param == "stripe":
        from masthead.billing.gateways.stripe import StripeGateway
        from masthead.billing.tests.stripe_fakes import TEST_KEY, StripeRules

        url = request.getfixturevalue("localstripe_url")
        applies, reason = LOCALSTRIPE_GAPS.get(request.node.originalname, (lambda params: False, ""))
        if applies(request.node.callspec.params):
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
        return StripeGateway(api_key=TEST_KEY, api_base=url, http_client=StripeRules(), max_network_retries=0)
    if request.param == "sandbox":
        from masthead.billing import inbox
        from masthead.billing.gateways.sandbox import SandboxGateway

        # Events are the sandbox's own business (test_sandbox_events.py); here they only need somewhere to go.
        monkeypatch.setattr(inbox, "receive", lambda **event: True)
        return SandboxGateway()
    raise AssertionError(f"no gateway called {request.param}")


@pytest.fixture
def charged_total(gateway):
    """``charged_total(customer_id)``: the minor units the processor has taken from a customer, net of refunds."""
    if gateway.name == "sandbox":
        from django.db.models import F, Sum

        from masthead.billing.sandbox.models import SandboxCharge

        def total(customer_id: str) -> int:
            charges = SandboxCharge.objects.filter(customer_id=customer_id, status="succeeded")
            return charges.aggregate(net=Sum(F("amount") - F("amount_refunded")))["net"] or 0

        return total
    if gateway.name == "stripe":

        def total(customer_id: str) -> int:
            charges = gateway.customer_charges(customer_id)
            return sum(c["amount"] - c["amount_refunded"] for c in charges if c["status"] == "succeeded")

        return total
    raise AssertionError(f"no way to read charges from {gateway.name}")


def key() -> str:
    return f"test-{uuid.uuid4()}"


def card(number: str, *, exp_month: int = 12, years_ahead: int = 3, cvc: str = "123") -> CardDetails:
    return CardDetails(number=number, exp_month=exp_month, exp_year=clock.now().year + years_ahead, cvc=cvc)


@pytest.fixture
def customer(gateway) -> str:
    return gateway.create_customer(email="reader@example.com", reader_id=42, idempotency_key=key())


def attach(gateway, customer, number, **details) -> CardInfo:
    return gateway.attach_card(customer_id=customer, card=card(number, **details), idempotency_key=key())


def pay(gateway, customer, card_info, amount=1200, *, idempotency_key=None, currency="USD"):
    return gateway.charge(
        customer_id=customer,
        payment_method_id=card_info.id,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key or key(),
        description="Monthly subscription",
        metadata={"subscription": "7"},
    )


# --- customers ------------------------------------------------------------------------------


def test_it_creates_a_customer_and_returns_its_id(gateway):
    first = gateway.create_customer(email="a@example.com", reader_id=1, idempotency_key=key())
    second = gateway.create_customer(email="b@example.com", reader_id=2, idempotency_key=key())

    assert first and second and first != second


def test_it_returns_the_same_customer_for_a_repeated_key(gateway):
    once = key()
    first = gateway.create_customer(email="a@example.com", reader_id=1, idempotency_key=once)

    assert gateway.create_customer(email="a@example.com", reader_id=1, idempotency_key=once) == first


# --- cards ----------------------------------------------------------------------------------


def test_it_attaches_a_good_card_and_keeps_only_what_may_be_kept(gateway, customer, cards):
    info = attach(gateway, customer, cards.succeeds, exp_month=7)

    assert info.id
    assert (info.brand, info.last4, info.exp_month) == ("visa", "4242", 7)
    assert info.exp_year == clock.now().year + 3
    assert info.fingerprint and "4242424242424242" not in info.fingerprint


def test_it_accepts_a_number_typed_with_spaces_or_dashes(gateway, customer, cards):
    plain = attach(gateway, customer, cards.succeeds)
    spaced = attach(gateway, customer, "4242 4242 4242 4242")
    dashed = attach(gateway, customer, "4242-4242-4242-4242")

    assert plain.fingerprint == spaced.fingerprint == dashed.fingerprint


@pytest.mark.parametrize(
    ("number", "brand", "last4", "cvc"),
    [("5555555555554444", "mastercard", "4444", "123"), ("378282246310005", "amex", "0005", "1234")],
)
def test_it_names_the_brand_from_the_number(gateway, customer, number, brand, last4, cvc):
    info = attach(gateway, customer, number, cvc=cvc)

    assert (info.brand, info.last4) == (brand, last4)


def test_it_gives_the_same_card_the_same_fingerprint_and_another_card_another(gateway, customer, cards):
    other_customer = gateway.create_customer(email="b@example.com", reader_id=43, idempotency_key=key())
    first = attach(gateway, customer, cards.succeeds)
    again = attach(gateway, other_customer, cards.succeeds, exp_month=1, years_ahead=5)
    other = attach(gateway, customer, cards.mastercard)

    assert first.id != again.id
    assert first.fingerprint == again.fingerprint
    assert other.fingerprint != first.fingerprint


def test_it_returns_the_same_card_for_a_repeated_key(gateway, customer, cards):
    once = key()
    first = gateway.attach_card(customer_id=customer, card=card(cards.succeeds), idempotency_key=once)

    assert gateway.attach_card(customer_id=customer, card=card(cards.succeeds), idempotency_key=once) == first


@pytest.mark.parametrize(
    ("which", "code", "message"),
    [
        ("declined", "card_declined", "Your card was declined."),
        ("insufficient_funds", "insufficient_funds", "Your card has insufficient funds."),
    ],
)
def test_it_refuses_a_declined_card_when_it_is_attached(gateway, customer, cards, which, code, message):
    with pytest.raises(CardError) as refused:
        attach(gateway, customer, getattr(cards, which))

    assert (refused.value.code, refused.value.message) == (code, message)


@pytest.mark.parametrize(
    ("details", "code"),
    [
        ({"number": "4242424242424241"}, "incorrect_number"),  # fails the Luhn check
        ({"number": "4242 4242 4242"}, "incorrect_number"),  # too short
        ({"number": "4242424242424242424242"}, "incorrect_number"),  # too long
        ({"number": "4242abcd42424242"}, "incorrect_number"),
        ({"number": ""}, "incorrect_number"),
        ({"exp_month": 13}, "invalid_expiry_month"),
        ({"exp_month": 0}, "invalid_expiry_month"),
        ({"years_ahead": -1}, "invalid_expiry_year"),
        ({"cvc": "12"}, "invalid_cvc"),
        ({"cvc": "1234"}, "invalid_cvc"),  # four digits are for amex only
        ({"cvc": "12a"}, "invalid_cvc"),
        ({"number": "378282246310005", "cvc": "123"}, "invalid_cvc"),
    ],
)
def test_it_refuses_a_mistyped_card(gateway, customer, cards, details, code):
    details = dict(details)
    number = details.pop("number", cards.succeeds)

    with pytest.raises(CardError) as refused:
        attach(gateway, customer, number, **details)

    assert refused.value.code == code
    assert refused.value.message.startswith("Your card")


@pytest.mark.parametrize(
    ("details", "code", "message"),
    [
        ({"number": "4242424242424241"}, "incorrect_number", "Your card number is incorrect."),
        ({"years_ahead": -1}, "invalid_expiry_year", "Your card's expiration date is in the past."),
        ({"cvc": "1"}, "invalid_cvc", "Your card's security code is invalid."),
    ],
)
def test_it_tells_the_reader_what_was_wrong(gateway, customer, cards, details, code, message):
    details = dict(details)
    number = details.pop("number", cards.succeeds)

    with pytest.raises(CardError) as refused:
        attach(gateway, customer, number, **details)

    assert (refused.value.code, str(refused.value)) == (code, message)


def test_it_refuses_a_card_that_expired_earlier_this_year(gateway, customer, cards, time_machine):
    time_machine.move_to("2031-06-15T12:00:00Z", tick=False)

    with pytest.raises(CardError) as refused:
        gateway.attach_card(
            customer_id=customer,
            card=CardDetails(number=cards.succeeds, exp_month=5, exp_year=2031, cvc="123"),
            idempotency_key=key(),
        )
    accepted = gateway.attach_card(
        customer_id=customer,
        card=CardDetails(number=cards.succeeds, exp_month=6, exp_year=2031, cvc="123"),
        idempotency_key=key(),
    )

    assert refused.value.code == "invalid_expiry_month"
    assert "in the past" in refused.value.message
    assert (accepted.exp_month, accepted.exp_year) == (6, 2031)


# --- charges --------------------------------------------------------------------------------


def test_it_charges_a_good_card(gateway, customer, cards, charged_total):
    result = pay(gateway, customer, attach(gateway, customer, cards.succeeds), 1200)

    assert result.succeeded
    assert result.id
    assert (result.amount, result.currency.upper()) == (1200, "USD")
    assert (result.decline_code, result.message) == ("", "")
    assert charged_total(customer) == 1200


def test_it_reports_a_declined_charge_as_a_result_not_an_exception(gateway, customer, cards, charged_total):
    info = attach(gateway, customer, cards.charges_declined)

    result = pay(gateway, customer, info, 1200)

    assert not result.succeeded
    assert result.id
    assert result.decline_code == "card_declined"
    assert result.message == "Your card was declined."
    assert charged_total(customer) == 0
    assert not pay(gateway, customer, info, 500).succeeded  # every charge, not only the first


def test_it_moves_money_once_for_a_repeated_charge_key(gateway, customer, cards, charged_total):
    info = attach(gateway, customer, cards.succeeds)
    once = key()

    first = pay(gateway, customer, info, 1200, idempotency_key=once)
    again = pay(gateway, customer, info, 1200, idempotency_key=once)

    assert again == first
    assert charged_total(customer) == 1200


def test_it_repeats_a_decline_for_a_repeated_charge_key(gateway, customer, cards):
    info = attach(gateway, customer, cards.charges_declined)
    once = key()

    assert pay(gateway, customer, info, idempotency_key=once) == pay(gateway, customer, info, idempotency_key=once)


# --- refunds --------------------------------------------------------------------------------


def test_it_refunds_part_then_the_rest_and_no_more(gateway, customer, cards, charged_total):
    paid = pay(gateway, customer, attach(gateway, customer, cards.succeeds), 1200)

    part = gateway.refund(charge_id=paid.id, amount=200, idempotency_key=key())
    rest = gateway.refund(charge_id=paid.id, amount=1000, idempotency_key=key())

    assert (part.charge_id, part.amount, part.succeeded) == (paid.id, 200, True)
    assert (rest.charge_id, rest.amount, rest.succeeded) == (paid.id, 1000, True)
    assert part.id != rest.id
    assert charged_total(customer) == 0
    with pytest.raises(ValueError):
        gateway.refund(charge_id=paid.id, amount=1, idempotency_key=key())


def test_it_refuses_to_refund_more_than_was_charged(gateway, customer, cards, charged_total):
    paid = pay(gateway, customer, attach(gateway, customer, cards.succeeds), 1200)

    with pytest.raises(ValueError):
        gateway.refund(charge_id=paid.id, amount=1201, idempotency_key=key())

    assert charged_total(customer) == 1200
    assert gateway.refund(charge_id=paid.id, amount=1200, idempotency_key=key()).succeeded


def test_it_refuses_to_refund_a_declined_charge(gateway, customer, cards):
    declined = pay(gateway, customer, attach(gateway, customer, cards.charges_declined), 1200)

    with pytest.raises(ValueError):
        gateway.refund(charge_id=declined.id, amount=100, idempotency_key=key())


def test_it_refunds_once_for_a_repeated_refund_key(gateway, customer, cards, charged_total):
    paid = pay(gateway, customer, attach(gateway, customer, cards.succeeds), 1200)
    once = key()

    first = gateway.refund(charge_id=paid.id, amount=700, idempotency_key=once)
    again = gateway.refund(charge_id=paid.id, amount=700, idempotency_key=once)

    assert again == first
    assert charged_total(customer) == 500
