"""The Stripe gateway: the contract in ``base.Gateway``, kept through Stripe's API.

Every POST carries the idempotency key the caller derived from a ledger row
(or a key derived from it, one per request of a multi-step call), so a retry
after a timeout, a crash or a double submit replays Stripe's first answer
instead of acting twice. GETs need none.

In production a card never reaches masthead: readers type it on Stripe's
hosted Checkout page (``hosted_checkout``), update it in Stripe's billing
portal (``update_card_session``), and a payment method collected elsewhere
(Stripe.js, a SetupIntent) joins through ``attach_payment_method``.
``attach_card`` with typed card details exists for Stripe's test mode and for
the contract suite, which runs against localstripe. It first checks what can be
checked without the network (number, expiry, security code), as Stripe.js does
before it talks to Stripe, so a mistyped card reads the same at every gateway.

Stripe runs the subscriptions it sells through Checkout: it renews them, retries
failed renewals and cancels them. masthead mirrors what it reports
(``billing.stripe_sync``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import stripe

from masthead.billing.gateways.base import (
    CardDetails,
    CardError,
    CardInfo,
    ChargeResult,
    Gateway,
    HostedCheckout,
    RefundResult,
)
from masthead.billing.gateways.sandbox import BRAND_LENGTHS, brand_of, check_expiry, luhn_ok, normalise_number
from masthead.billing.pricing import Interval, OfferKind, OfferTerms, PlanTerms
from masthead.lib import clock

PROVIDER = "stripe"
DECLINED = "Your card was declined."
NOT_COMPLETED = "Your payment could not be completed. Please try another card."
MONTHS = {Interval.MONTH: 1, Interval.YEAR: 12}


class StripeGateway(Gateway):
    """Stripe through stripe-python's ``StripeClient``.

    ``api_base`` points the client at another address (localstripe in tests);
    ``http_client`` replaces its HTTP transport (the recorded-fixture fake in
    tests). Errors Stripe reports about the request itself (an unknown id, a
    reused idempotency key) raise ValueError; network and authentication
    failures raise stripe-python's own errors, which roll the caller back.
    """

    name = PROVIDER
    # The reader types their card on Stripe's page, never on masthead's: checkout redirects there.
    hosts_card_page = True

    def __init__(
        self,
        *,
        api_key: str,
        api_base: str = "",
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 2,
    ):
        if not api_key:
            raise ValueError("a Stripe secret key is required")
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=http_client,
            # Safe to retry: every POST carries an idempotency key.
            max_network_retries=max_network_retries,
        )

    # --- the contract --------------------------------------------------------------------

    def create_customer(self, *, email: str, reader_id: int, idempotency_key: str) -> str:
        params = {"email": email, "metadata": {"reader_id": str(reader_id)}}
        with _requests_refused():
            return self.client.v1.customers.create(params, _once(idempotency_key)).id

    def attach_card(self, *, customer_id: str, card: CardDetails, idempotency_key: str) -> CardInfo:
        """Create a payment method from typed card details and attach it (test mode and localstripe only)."""
        number, exp_month, exp_year = check_card_form(card, now=clock.now())
        details: dict[str, Any] = {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": card.cvc}
        params: dict[str, Any] = {"type": "card", "card": details}
        if card.name:
            params["billing_details"] = {"name": card.name}
        with _cards_refused(), _requests_refused():
            method = self.client.v1.payment_methods.create(params, _once(f"{idempotency_key}:create"))
        return self.attach_payment_method(
            customer_id=customer_id, payment_method_id=method.id, idempotency_key=idempotency_key
        )

    def attach_payment_method(self, *, customer_id: str, payment_method_id: str, idempotency_key: str) -> CardInfo:
        """Attach a payment method Stripe already holds (from Checkout, a SetupIntent or Stripe.js) and make it
        the customer's default. Raises CardError when the card is refused."""
        with _cards_refused(), _requests_refused():
            method = self.client.v1.payment_methods.attach(
                payment_method_id, {"customer": customer_id}, _once(f"{idempotency_key}:attach")
            )
            self.client.v1.customers.update(
                customer_id,
                {"invoice_settings": {"default_payment_method": method.id}},
                _once(f"{idempotency_key}:default"),
            )
        return card_info(method.to_dict())

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
        _check_amount(amount)
        currency = _check_currency(currency)
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            # The reader is not at the keyboard: Stripe declines rather than asks for authentication.
            "confirm": True,
            "off_session": True,
            "metadata": dict(metadata or {}),
            "expand": ["latest_charge"],
        }
        if description:
            params["description"] = description
        try:
            with _requests_refused():
                intent = self.client.v1.payment_intents.create(params, _once(idempotency_key)).to_dict()
        except stripe.CardError as refused:
            error = _error_body(refused)
            return ChargeResult(
                id=error.get("charge") or _id_of(error.get("payment_intent")) or "",
                succeeded=False,
                amount=amount,
                currency=currency,
                decline_code=error.get("decline_code") or refused.code or "card_declined",
                message=refused.user_message or DECLINED,
            )
        charge = intent.get("latest_charge")
        charge_id = _id_of(charge) or intent["id"]
        if intent["status"] == "succeeded":
            return ChargeResult(id=charge_id, succeeded=True, amount=intent["amount"], currency=currency)
        return ChargeResult(
            id=charge_id,
            succeeded=False,
            amount=amount,
            currency=currency,
            decline_code=str(intent["status"]),
            message=NOT_COMPLETED,
        )

    def refund(self, *, charge_id: str, amount: int, idempotency_key: str) -> RefundResult:
        """Refund part or all of a charge.

        The refund carries its key in its metadata, and the charge's refunds are
        read first: a repeat returns the first refund even after Stripe has
        forgotten the key (it keeps them for a day), and a refund of more than
        is left is refused here with the same words every gateway uses.
        """
        _check_amount(amount)
        with _requests_refused():
            charge = self.client.v1.charges.retrieve(charge_id, {"expand": ["refunds"]}).to_dict()
        for refund in (charge.get("refunds") or {}).get("data", []):
            if (refund.get("metadata") or {}).get("idempotency_key") == idempotency_key:
                return _refund_result(refund, charge_id)
        if charge["status"] != "succeeded":
            raise ValueError(f"charge {charge_id} did not succeed; there is nothing to refund")
        left = charge["amount"] - (charge.get("amount_refunded") or 0)
        if amount > left:
            raise ValueError(f"cannot refund {amount} of charge {charge_id}: only {left} is left")
        params = {"charge": charge_id, "amount": amount, "metadata": {"idempotency_key": idempotency_key}}
        with _requests_refused():
            refund = self.client.v1.refunds.create(params, _once(idempotency_key)).to_dict()
        return _refund_result(refund, charge_id)

    def hosted_checkout(
        self,
        *,
        customer_id: str,
        success_url: str,
        cancel_url: str,
        plan: PlanTerms | None = None,
        plan_key: str = "",
        product_name: str = "",
        offer_key: str = "",
        offer: OfferTerms | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str = "",
        **details: Any,
    ) -> HostedCheckout:
        """A Checkout Session in subscription mode for ``plan``, with ``offer`` as a trial or a coupon.

        ``plan_key`` names the plan version (``monthly-v2``): it becomes the Stripe
        price's lookup key, so one plan version is one Stripe price. ``metadata``
        travels on the session and on the subscription it creates, and comes back
        in every webhook about them. Raises ValueError for an offer Checkout
        cannot express (a bundle).
        """
        if plan is None or not plan_key or not idempotency_key:
            raise ValueError("hosted_checkout needs plan, plan_key and idempotency_key")
        metadata = dict(metadata or {})
        subscription_data: dict[str, Any] = {"metadata": metadata}
        params: dict[str, Any] = {
            "mode": "subscription",
            "customer": customer_id,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "line_items": [{"price": self._price_for(plan, plan_key, product_name), "quantity": 1}],
            "metadata": metadata,
            "subscription_data": subscription_data,
        }
        if offer is not None:
            if offer.kind == OfferKind.TRIAL:
                subscription_data["trial_period_days"] = offer.trial_days
            else:
                params["discounts"] = [{"coupon": self._coupon_for(plan, offer_key, offer)}]
        with _requests_refused():
            session = self.client.v1.checkout.sessions.create(params, _once(f"{idempotency_key}:session"))
        return HostedCheckout(url=session.url, session_id=session.id, metadata=metadata)

    # --- beyond the contract ------------------------------------------------------------------

    def update_card_session(self, *, customer_id: str, return_url: str, idempotency_key: str) -> str:
        """The address of Stripe's billing portal, opened on "update your payment method" for the customer.

        The portal makes the new card the default for the customer's
        subscriptions; Stripe then retries a past-due invoice with it.
        """
        params = {
            "customer": customer_id,
            "return_url": return_url,
            "flow_data": {"type": "payment_method_update"},
        }
        with _requests_refused():
            return self.client.v1.billing_portal.sessions.create(params, _once(idempotency_key)).url

    def subscription(self, subscription_id: str) -> dict[str, Any]:
        """Stripe's subscription as it is now, as plain data (for the mirror)."""
        with _requests_refused():
            return self.client.v1.subscriptions.retrieve(subscription_id).to_dict()

    def subscription_card(self, subscription_id: str) -> CardInfo | None:
        """The card a subscription charges: its default payment method, which Checkout sets to the card the reader
        typed on Stripe's page. None when it has none, or when it is not a card."""
        with _requests_refused():
            sub = self.client.v1.subscriptions.retrieve(subscription_id, {"expand": ["default_payment_method"]})
        method = sub.to_dict().get("default_payment_method")
        if isinstance(method, str):  # not expanded (an older API version): read it on its own
            with _requests_refused():
                method = self.client.v1.payment_methods.retrieve(method).to_dict()
        if not method or method.get("type", "card") != "card" or not method.get("card"):
            return None
        return card_info(method)

    def subscription_discounts_remove(self, subscription_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Take every discount off a subscription: its next invoice and those after charge the full price, and
        what was invoiced already stays as it is (no proration). Returns the subscription as plain data."""
        # An empty string is how Stripe's form encoding says "none" (an empty list would send nothing at all).
        params: dict[str, Any] = {"discounts": "", "proration_behavior": "none"}
        with _requests_refused():
            return self.client.v1.subscriptions.update(subscription_id, params, _once(idempotency_key)).to_dict()

    def customer_charges(self, customer_id: str) -> list[dict[str, Any]]:
        """The customer's most recent charges (up to 100), as plain data."""
        with _requests_refused():
            page = self.client.v1.charges.list({"customer": customer_id, "limit": 100})
        return [charge.to_dict() for charge in page.data]

    # --- prices and coupons -----------------------------------------------------------------------

    def _price_for(self, plan: PlanTerms, plan_key: str, product_name: str) -> str:
        """The Stripe price for one plan version, created on first use and found by its lookup key after."""
        lookup_key = f"masthead-{plan_key}"
        with _requests_refused():
            found = self.client.v1.prices.list({"lookup_keys": [lookup_key], "limit": 1})
            if found.data:
                return found.data[0].id
            params = {
                "currency": plan.currency.lower(),
                "unit_amount": plan.amount,
                "recurring": {"interval": str(plan.interval), "interval_count": plan.interval_count},
                "product_data": {"name": product_name or plan_key},
                "lookup_key": lookup_key,
            }
            return self.client.v1.prices.create(params, _once(f"price:{lookup_key}:{_digest(params)}")).id

    def _coupon_for(self, plan: PlanTerms, offer_key: str, offer: OfferTerms) -> str:
        """A coupon with the offer's terms. Its id names the offer and its terms, so an edited offer gets a new
        coupon and subscribers who redeemed the old terms keep them."""
        params = coupon_params(plan, offer)
        coupon_id = f"masthead-{offer_key}-{_digest(params)}"
        try:
            self.client.v1.coupons.create({"id": coupon_id, **params}, _once(f"coupon:{coupon_id}"))
        except stripe.InvalidRequestError as exc:
            if exc.code != "resource_already_exists":  # made by an earlier checkout: the same terms
                raise ValueError(exc.user_message or str(exc)) from exc
        return coupon_id


# --- pure helpers ---------------------------------------------------------------------------


def check_card_form(card: CardDetails, *, now) -> tuple[str, int, int]:
    """(digits, month, four-digit year) of a well-formed card; raises CardError as Stripe.js would, before any
    request: ``incorrect_number``, ``invalid_expiry_month``, ``invalid_expiry_year``, ``invalid_cvc``.

    The rules are the sandbox's (one set of card-form rules for every gateway);
    whether the card is good is Stripe's to say.
    """
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
    return digits, exp_month, exp_year


def coupon_params(plan: PlanTerms, offer: OfferTerms) -> dict[str, Any]:
    """A Stripe coupon's terms for a discount or intro-price offer; raises ValueError for a bundle.

    An intro price is the list price less a fixed amount, for the intro periods.
    Stripe counts a repeating coupon's duration in months, whatever the plan's
    interval, so periods are converted to months.
    """
    months_per_period = MONTHS[Interval(plan.interval)] * plan.interval_count
    if offer.kind == OfferKind.INTRO_PRICE:
        terms: dict[str, Any] = {"amount_off": plan.amount - offer.intro_amount, "currency": plan.currency.lower()}
        periods = offer.intro_periods
    elif offer.kind == OfferKind.PERCENT_OFF:
        terms, periods = {"percent_off": offer.percent_off}, offer.discount_periods
    elif offer.kind == OfferKind.AMOUNT_OFF:
        terms = {"amount_off": offer.amount_off, "currency": plan.currency.lower()}
        periods = offer.discount_periods
    else:
        raise ValueError(f"Stripe Checkout cannot sell a {offer.kind} offer")
    return {**terms, "duration": "repeating", "duration_in_months": periods * months_per_period}


def card_info(method: Mapping[str, Any]) -> CardInfo:
    """What masthead keeps of a Stripe payment method; the fingerprint is Stripe's card fingerprint."""
    card = method["card"]
    return CardInfo(
        id=method["id"],
        brand=card["brand"],
        last4=card["last4"],
        exp_month=card["exp_month"],
        exp_year=card["exp_year"],
        fingerprint=card["fingerprint"],
    )


def _refund_result(refund: Mapping[str, Any], charge_id: str) -> RefundResult:
    return RefundResult(
        id=refund["id"],
        charge_id=refund.get("charge") or charge_id,
        amount=refund["amount"],
        succeeded=refund.get("status") in ("succeeded", "pending"),
    )


def _once(idempotency_key: str) -> dict[str, str]:
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    return {"idempotency_key": idempotency_key}


def _digest(params: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]


def _id_of(value: Any) -> str:
    """The id of an expanded object, or the id itself; "" for None."""
    if isinstance(value, Mapping):
        return value.get("id") or ""
    return value or ""


def _error_body(error: stripe.StripeError) -> dict[str, Any]:
    return dict((error.json_body or {}).get("error") or {})


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive whole number of minor units, not {amount!r}")


def _check_currency(currency: str) -> str:
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise ValueError(f"currency must be an ISO 4217 code, not {currency!r}")
    return currency.upper()


class _cards_refused:
    """Turn Stripe's refusal of a card into the contract's CardError, in the reader's words."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, stripe.CardError):
            body = _error_body(error)
            code = body.get("decline_code") or error.code or "card_declined"
            raise CardError(code, error.user_message or DECLINED) from error
        return False


class _requests_refused:
    """Turn Stripe's refusal of a request (unknown id, reused idempotency key) into ValueError."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, stripe.InvalidRequestError | stripe.IdempotencyError):
            raise ValueError(error.user_message or str(error)) from error
        return False
