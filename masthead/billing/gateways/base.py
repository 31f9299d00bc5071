"""The contract every payment gateway keeps.

A gateway never sees masthead's models: it takes plain values and returns
frozen results. Every call that moves money carries an idempotency key, and
a gateway must return the first result again for a repeated key instead of
acting twice.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any


class CardError(Exception):
    """A card was refused. ``code`` is machine-readable (Stripe's decline codes); ``message`` is for the reader."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CardDetails:
    """What a reader types into a card form. Only ever passed straight to the gateway, never stored."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    name: str = ""


@dataclass(frozen=True)
class CardInfo:
    """A stored payment method, as much of it as masthead may keep."""

    id: str  # the gateway's payment-method id
    brand: str  # visa, mastercard, amex, ...
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str  # the same card always has the same fingerprint at one gateway


@dataclass(frozen=True)
class ChargeResult:
    id: str  # the gateway's charge id, also for a declined charge
    succeeded: bool
    amount: int
    currency: str
    decline_code: str = ""  # "card_declined", "insufficient_funds", ... when not succeeded
    message: str = ""  # for the reader, when not succeeded


@dataclass(frozen=True)
class RefundResult:
    id: str
    charge_id: str
    amount: int
    succeeded: bool


@dataclass(frozen=True)
class HostedCheckout:
    """Where to send the reader to enter a card on the gateway's own page."""

    url: str
    session_id: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Gateway(abc.ABC):
    name: str  # "sandbox", "stripe"; also the provider name in the event inbox

    @abc.abstractmethod
    def create_customer(self, *, email: str, reader_id: int, idempotency_key: str) -> str:
        """Create a customer and return its gateway id (the first one again for a repeated key)."""

    @abc.abstractmethod
    def attach_card(self, *, customer_id: str, card: CardDetails, idempotency_key: str) -> CardInfo:
        """Validate and store a card for the customer; returns what may be kept of it.

        Raises CardError when the card is mistyped (``incorrect_number``, ``invalid_expiry_month``,
        ``invalid_expiry_year``, ``invalid_cvc``) or refused (``card_declined``, ``insufficient_funds``, ...).
        """

    @abc.abstractmethod
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
        """Charge a stored card. A decline is a result (succeeded=False), not an exception.

        Raises ValueError for a request the gateway cannot act on: an unknown customer or payment method, a
        payment method of another customer, an amount that is not a positive integer, or an idempotency key
        already used with different arguments.
        """

    @abc.abstractmethod
    def refund(self, *, charge_id: str, amount: int, idempotency_key: str) -> RefundResult:
        """Refund ``amount`` (minor units, at most what is left) of a succeeded charge.

        Raises ValueError when the charge is unknown or did not succeed, or when less than ``amount`` is left.
        """

    def hosted_checkout(
        self, *, customer_id: str, success_url: str, cancel_url: str, **details: Any
    ) -> HostedCheckout | None:
        """A hosted card page to redirect to, or None when masthead collects the card on its own page."""
        return None
