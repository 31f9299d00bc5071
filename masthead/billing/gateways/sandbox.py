"""The sandbox gateway: a card processor emulated in masthead's own database.

It follows the public semantics of Stripe's test cards, so that demos, local
development and tests exercise the same paths a real processor would:

==================== ==========================================================
4242 4242 4242 4242  visa, succeeds
4000 0000 0000 0002  refused when attached: ``card_declined``
4000 0000 0000 9995  refused when attached: ``insufficient_funds``
4000 0000 0000 0341  attaches, then every charge is declined (``card_declined``)
5555 5555 5555 4444  mastercard, succeeds
3782 822463 10005    amex, succeeds
any other number     succeeds when it passes the Luhn check
==================== ==========================================================

Every outcome is also delivered to the provider-event inbox as a Stripe-shaped
event (``customer.created``, ``payment_method.attached``, ``charge.succeeded``,
``charge.failed``, ``charge.refunded``), after the caller's transaction
commits, so the same handlers serve the sandbox and a real processor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.crypto import get_random_string

from masthead.billing import inbox
from masthead.billing.gateways.base import CardDetails, CardError, CardInfo, ChargeResult, Gateway, RefundResult
from masthead.billing.sandbox.models import SandboxCard, SandboxCharge, SandboxCustomer, SandboxRefund
from masthead.lib import clock

PROVIDER = "sandbox"

# The numbers whose behaviour differs from "succeeds"; see the module docstring.
DECLINED_AT_ATTACH = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
}
DECLINES_EVERY_CHARGE = {"4000000000000341"}

DECLINED = "Your card was declined."
EXPIRED = "Your card has expired."

# Lengths each brand issues; anything else with a valid check digit is "unknown".
BRAND_LENGTHS = {
    "visa": {13, 16, 19},
    "mastercard": {16},
    "amex": {15},
    "discover": {16, 17, 18, 19},
    "unknown": set(range(12, 20)),
}

# --- card rules (pure) ----------------------------------------------------------------------


def normalise_number(number: str) -> str:
    """The number without the spaces and dashes people type; other characters are kept (and then refused)."""
    return number.replace(" ", "").replace("-", "")


def luhn_ok(digits: str) -> bool:
    """Whether ``digits`` (all digits) ends in a correct Luhn check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> str:
    """visa, mastercard, amex, discover or unknown, from the leading digits of a number of at least 4 digits."""
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"34", "37"}:
        return "amex"
    if 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return "mastercard"
    if digits.startswith(("6011", "65")):
        return "discover"
    return "unknown"


@dataclass(frozen=True)
class CheckedCard:
    """A card that passed validation: what may be kept, plus the behaviour its number selects."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str
    behaviour: str


def check_card(card: CardDetails, *, now: dt.datetime, secret: str) -> CheckedCard:
    """Validate a card the way a processor would; raises CardError, in the order number, expiry, CVC, decline."""
    digits = normalise_number(card.number)
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        raise CardError("incorrect_number", "Your card number is incorrect.")
    brand = brand_of(digits)
    if len(digits) not in BRAND_LENGTHS[brand]:
        raise CardError("incorrect_number", "Your card number is incorrect.")
    exp_month, exp_year = check_expiry(card.exp_month, card.exp_year, now=now)
    cvc_length = 4 if brand == "amex" else 3
    if not (card.cvc.isascii() and card.cvc.isdigit() and len(card.cvc) == cvc_length):
        raise CardError("invalid_cvc", "Your card's security code is invalid.")
    if digits in DECLINED_AT_ATTACH:
        raise CardError(*DECLINED_AT_ATTACH[digits])
    behaviour = (
        SandboxCard.Behaviour.DECLINE_CHARGES if digits in DECLINES_EVERY_CHARGE else SandboxCard.Behaviour.SUCCEED
    )
    return CheckedCard(
        brand=brand,
        last4=digits[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        fingerprint=fingerprint(digits, secret=secret),
        behaviour=behaviour,
    )


def check_expiry(month: int, year: int, *, now: dt.datetime) -> tuple[int, int]:
    """The expiry as (month, four-digit year); raises CardError when it is invalid or already past.

    A card is good through the last day of its expiry month, so 06/2030 is still
    valid on 30 June 2030. Two-digit years are read as 20xx, as printed on cards.
    """
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise CardError("invalid_expiry_month", "Your card's expiration month is invalid.")
    if isinstance(year, bool) or not isinstance(year, int) or year < 0:
        raise CardError("invalid_expiry_year", "Your card's expiration year is invalid.")
    if year < 100:
        year += 2000
    if year > now.year + 50:
        raise CardError("invalid_expiry_year", "Your card's expiration year is invalid.")
    if year < now.year:
        raise CardError("invalid_expiry_year", "Your card's expiration date is in the past.")
    if year == now.year and month < now.month:
        raise CardError("invalid_expiry_month", "Your card's expiration date is in the past.")
    return month, year


def has_expired(exp_month: int, exp_year: int, *, now: dt.datetime) -> bool:
    return (exp_year, exp_month) < (now.year, now.month)


def fingerprint(digits: str, *, secret: str) -> str:
    """The same number always gives the same 16 hex digits, and nothing else does (in practice).

    Keyed by the site's secret: card numbers have so little entropy (a known
    prefix, a check digit) that a plain hash could be reversed by trying them all.
    """
    mac = hmac.new(secret.encode(), b"masthead.billing.sandbox.fingerprint:" + digits.encode(), hashlib.sha256)
    return mac.hexdigest()[:16]


def new_id(prefix: str) -> str:
    """``<prefix>_sbx_`` and 24 random letters and digits."""
    return f"{prefix}_sbx_{get_random_string(24)}"


# --- the gateway ---------------------------------------------------------------------------


class SandboxGateway(Gateway):
    """The built-in emulated processor. Stateless itself: everything lives in the sandbox app's tables.

    Beyond the contract: a charge, refund or customer call with an unknown id, a
    non-positive amount, or an idempotency key reused with different arguments
    raises ValueError (where Stripe answers with an invalid-request error).
    """

    name = PROVIDER

    def create_customer(self, *, email: str, reader_id: int, idempotency_key: str) -> str:
        with transaction.atomic():
            existing = _by_key(SandboxCustomer, idempotency_key)
            if existing is None:
                existing, created = _create_once(
                    SandboxCustomer,
                    idempotency_key,
                    id=new_id("cus"),
                    email=email,
                    reader_id=reader_id,
                    created=clock.now(),
                )
                if created:
                    _emit("customer.created", customer_object(existing))
            _same_request(existing, idempotency_key, email=email, reader_id=reader_id)
            return existing.id

    def attach_card(self, *, customer_id: str, card: CardDetails, idempotency_key: str) -> CardInfo:
        with transaction.atomic():
            existing = _by_key(SandboxCard, idempotency_key)
            if existing is None:
                customer = _get(SandboxCustomer, customer_id, "customer")
                checked = check_card(card, now=clock.now(), secret=settings.SECRET_KEY)
                existing, created = _create_once(
                    SandboxCard,
                    idempotency_key,
                    id=new_id("pm"),
                    customer=customer,
                    brand=checked.brand,
                    last4=checked.last4,
                    exp_month=checked.exp_month,
                    exp_year=checked.exp_year,
                    fingerprint=checked.fingerprint,
                    behaviour=checked.behaviour,
                    created=clock.now(),
                )
                if created:
                    _emit("payment_method.attached", payment_method_object(existing))
            _same_request(existing, idempotency_key, customer_id=customer_id)
            return card_info(existing)

    def charge(
        self,
        *,
        customer_id: str,
        payment_method_id: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str = "",
        metadata: dict[str, str] | None = None,
    ) -> ChargeResult:
        currency = _check_currency(currency)
        _check_amount(amount)
        with transaction.atomic():
            existing = _by_key(SandboxCharge, idempotency_key)
            if existing is None:
                card = SandboxCard.objects.select_related("customer").filter(pk=payment_method_id).first()
                if card is None or card.customer_id != customer_id:
                    # The customer is looked up on its own only to say which of the two is wrong.
                    customer = _get(SandboxCustomer, customer_id, "customer")
                    card = _get(SandboxCard, payment_method_id, "payment method")
                    raise ValueError(f"payment method {card.id} does not belong to customer {customer.id}")
                customer = card.customer
                decline_code, message = _charge_outcome(card, now=clock.now())
                existing, created = _create_once(
                    SandboxCharge,
                    idempotency_key,
                    id=new_id("ch"),
                    customer=customer,
                    card=card,
                    amount=amount,
                    currency=currency,
                    status=SandboxCharge.Status.FAILED if decline_code else SandboxCharge.Status.SUCCEEDED,
                    decline_code=decline_code,
                    decline_message=message,
                    description=description,
                    metadata=dict(metadata or {}),
                    created=clock.now(),
                )
                if created:
                    kind = "charge.succeeded" if existing.succeeded else "charge.failed"
                    _emit(kind, charge_object(existing, new=True))
            _same_request(
                existing,
                idempotency_key,
                customer_id=customer_id,
                card_id=payment_method_id,
                amount=amount,
                currency=currency,
            )
            return charge_result(existing)

    def refund(self, *, charge_id: str, amount: int, idempotency_key: str) -> RefundResult:
        _check_amount(amount)
        with transaction.atomic():
            existing = _by_key(SandboxRefund, idempotency_key)
            if existing is None:
                charge = _get(SandboxCharge, charge_id, "charge")
                if not charge.succeeded:
                    raise ValueError(f"charge {charge.id} failed; there is nothing to refund")
                existing, created = _refund_once(charge, amount, idempotency_key)
                if created:
                    charge.refresh_from_db()
                    _emit("charge.refunded", charge_object(charge))
            _same_request(existing, idempotency_key, charge_id=charge_id, amount=amount)
            return RefundResult(id=existing.id, charge_id=existing.charge_id, amount=existing.amount, succeeded=True)


# --- persistence helpers --------------------------------------------------------------------


def _by_key[T: models.Model](model: type[T], idempotency_key: str) -> T | None:
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    return model.objects.filter(idempotency_key=idempotency_key).first()


def _create_once[T: models.Model](model: type[T], idempotency_key: str, **fields: Any) -> tuple[T, bool]:
    """Create the row for ``idempotency_key``, or return the one a concurrent call created; (row, created).

    Two calls with one key can both miss the first look-up. The unique
    constraint lets exactly one insert win; the other rolls back to its
    savepoint, leaving the caller's transaction usable, and reads the winner's
    row. Only the winner emits an event.
    """
    try:
        with transaction.atomic():
            return model.objects.create(idempotency_key=idempotency_key, **fields), True
    except IntegrityError:
        row = model.objects.filter(idempotency_key=idempotency_key).first()
        if row is None:  # the constraint that failed was not the key's
            raise
        return row, False


def _refund_once(charge: SandboxCharge, amount: int, idempotency_key: str) -> tuple[SandboxRefund, bool]:
    """Record a refund and move the money, once per key; raises ValueError when less than ``amount`` is left.

    The refund row goes in first so a concurrent repeat of the same key meets the
    unique constraint, not the balance check. The balance is then taken with a
    conditional UPDATE, so two different refunds racing for the last of a charge
    cannot both succeed: the loser's savepoint rolls its refund row back.
    """
    try:
        with transaction.atomic():
            refund = SandboxRefund.objects.create(
                id=new_id("re"), charge=charge, amount=amount, idempotency_key=idempotency_key, created=clock.now()
            )
            moved = SandboxCharge.objects.filter(pk=charge.pk, amount_refunded__lte=F("amount") - amount).update(
                amount_refunded=F("amount_refunded") + amount
            )
            if not moved:
                raise _OverRefund
            return refund, True
    except _OverRefund:
        left = SandboxCharge.objects.values_list("amount", "amount_refunded").get(pk=charge.pk)
        raise ValueError(f"cannot refund {amount} of charge {charge.id}: only {left[0] - left[1]} is left") from None
    except IntegrityError:
        row = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
        if row is None:
            raise
        return row, False


class _OverRefund(Exception):
    pass


def _get[T: models.Model](model: type[T], pk: str, what: str) -> T:
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise ValueError(f"no such {what}: {pk!r}")
    return row


def _same_request(row: models.Model, idempotency_key: str, **expected: Any) -> None:
    """Refuse a key reused for a different request, as Stripe does: returning the first result would mislead."""
    for field, value in expected.items():
        if getattr(row, field) != value:
            raise ValueError(f"idempotency key {idempotency_key!r} was first used with a different {field}")


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive whole number of minor units, not {amount!r}")


def _check_currency(currency: str) -> str:
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise ValueError(f"currency must be an ISO 4217 code, not {currency!r}")
    return currency.upper()


def _charge_outcome(card: SandboxCard, *, now: dt.datetime) -> tuple[str, str]:
    """("", "") when the charge goes through, else (decline code, message for the reader)."""
    if card.behaviour == SandboxCard.Behaviour.DECLINE_CHARGES:
        return "card_declined", DECLINED
    if has_expired(card.exp_month, card.exp_year, now=now):
        return "expired_card", EXPIRED
    return "", ""


# --- results and events ---------------------------------------------------------------------


def card_info(card: SandboxCard) -> CardInfo:
    return CardInfo(
        id=card.id,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        fingerprint=card.fingerprint,
    )


def charge_result(charge: SandboxCharge) -> ChargeResult:
    return ChargeResult(
        id=charge.id,
        succeeded=charge.succeeded,
        amount=charge.amount,
        currency=charge.currency,
        decline_code=charge.decline_code,
        message=charge.decline_message,
    )


def _emit(type: str, payload: Mapping[str, Any]) -> None:
    """Deliver an event to the inbox once the current transaction commits; nothing if it rolls back."""
    transaction.on_commit(partial(_deliver, new_id("evt"), type, payload))


def _deliver(event_id: str, type: str, payload: Mapping[str, Any]) -> None:
    # Looked up at call time, so tests can replace inbox.receive.
    inbox.receive(provider=PROVIDER, event_id=event_id, type=type, payload=payload)


def _timestamp(when: dt.datetime) -> int:
    return int(when.timestamp())


def customer_object(customer: SandboxCustomer) -> dict[str, Any]:
    """The customer as Stripe's ``data.object`` shows it; masthead's reader id travels in metadata."""
    return {
        "id": customer.id,
        "object": "customer",
        "email": customer.email,
        "created": _timestamp(customer.created),
        "livemode": False,
        "metadata": {"reader_id": str(customer.reader_id)},
    }


def _card_object(card: SandboxCard) -> dict[str, Any]:
    return {
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "fingerprint": card.fingerprint,
    }


def payment_method_object(card: SandboxCard) -> dict[str, Any]:
    return {
        "id": card.id,
        "object": "payment_method",
        "type": "card",
        "customer": card.customer_id,
        "card": _card_object(card),
        "created": _timestamp(card.created),
        "livemode": False,
    }


def charge_object(charge: SandboxCharge, *, new: bool = False) -> dict[str, Any]:
    """The charge as Stripe's ``data.object`` shows it: currency in lower case, refunds listed oldest first.
    ``new``: the charge was made just now, so it has no refunds to look up."""
    refunds = [] if new else sorted(charge.refunds.all(), key=lambda refund: (refund.created, refund.id))
    return {
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount if charge.succeeded else 0,
        "amount_refunded": charge.amount_refunded,
        "currency": charge.currency.lower(),
        "customer": charge.customer_id,
        "payment_method": charge.card_id,
        "payment_method_details": {"type": "card", "card": _card_object(charge.card)},
        "status": charge.status,
        "paid": charge.succeeded,
        "captured": charge.succeeded,
        "refunded": charge.succeeded and charge.amount_refunded == charge.amount,
        "failure_code": charge.decline_code or None,
        "failure_message": charge.decline_message or None,
        "outcome": {
            "type": "authorized" if charge.succeeded else "issuer_declined",
            "reason": charge.decline_code or None,
        },
        "description": charge.description or None,
        "metadata": dict(charge.metadata),
        "refunds": {
            "object": "list",
            "data": [
                {
                    "id": refund.id,
                    "object": "refund",
                    "amount": refund.amount,
                    "charge": charge.id,
                    "currency": charge.currency.lower(),
                    "status": "succeeded",
                    "created": _timestamp(refund.created),
                }
                for refund in refunds
            ],
        },
        "created": _timestamp(charge.created),
        "livemode": False,
    }
