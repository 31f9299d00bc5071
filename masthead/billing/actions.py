"""Every change to billing facts. Checkout, the account page, the admin, commands and event handlers call these.

Each action checks, writes, records a ledger entry, and leaves side effects
(mail) to ``transaction.on_commit``. Calls to the gateway carry idempotency
keys derived from rows masthead wrote first, so a retry never moves money
twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from masthead.billing import ledger, offers, transitions
from masthead.billing.gateways import get_gateway
from masthead.billing.gateways.base import CardDetails, CardError, CardInfo, ChargeResult
from masthead.billing.models import (
    LIVE_STATUSES,
    CheckoutAttempt,
    Customer,
    Invoice,
    InvoiceLine,
    Offer,
    Payment,
    PaymentMethod,
    Plan,
    Redemption,
    Subscription,
)
from masthead.billing.pricing import Charge, PhaseKind
from masthead.lib import clock

logger = logging.getLogger(__name__)


class BillingRefused(Exception):
    """An action refused: ``code`` for code, ``message`` for the reader (written for a person)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- Customers and cards ------------------------------------------------------------


def customer_ensure(*, reader) -> Customer:
    """The reader's customer at the configured gateway, created on first use."""
    gateway = get_gateway()
    existing = Customer.objects.filter(reader=reader, gateway=gateway.name).first()
    if existing:
        return existing
    gateway_id = gateway.create_customer(
        email=reader.email, reader_id=reader.pk, idempotency_key=f"customer:{gateway.name}:{reader.pk}"
    )
    customer, _ = Customer.objects.get_or_create(
        gateway=gateway.name, gateway_id=gateway_id, defaults={"reader": reader, "email": reader.email}
    )
    return customer


def payment_method_add(*, customer: Customer, card: CardDetails, idempotency_key: str, actor) -> PaymentMethod:
    """Attach a card at the gateway and make it the customer's default. Raises CardError when it is refused."""
    info: CardInfo = get_gateway().attach_card(
        customer_id=customer.gateway_id, card=card, idempotency_key=idempotency_key
    )
    method = PaymentMethod.objects.filter(customer=customer, gateway_id=info.id).first()
    if method is None:
        PaymentMethod.objects.filter(customer=customer, is_default=True).update(is_default=False)
        method = PaymentMethod.objects.create(
            customer=customer,
            gateway_id=info.id,
            brand=info.brand,
            last4=info.last4,
            exp_month=info.exp_month,
            exp_year=info.exp_year,
            fingerprint=info.fingerprint,
            is_default=True,
        )
        ledger.record("payment_method.added", actor=actor, reader=customer.reader, brand=info.brand, last4=info.last4)
    return method


# --- Checkout -----------------------------------------------------------------------


@dataclass(frozen=True)
class Signup:
    """An account to create as part of checkout, for a reader who has none yet."""

    email: str
    password: str


@dataclass(frozen=True)
class CheckoutOutcome:
    subscription: Subscription
    reader: object
    created_account: bool


def checkout_submit(
    *,
    key: str,
    plan: Plan,
    offer: Offer | None,
    card: CardDetails,
    reader=None,
    signup: Signup | None = None,
    token: str = "",
    public_code: str = "",
    reader_keys: frozenset[str] = frozenset(),
    segment: str = "anonymous",
) -> CheckoutOutcome:
    """Subscribe a reader (or a new account) to ``plan`` through ``offer``, paying with ``card``.

    ``key`` is the checkout form's idempotency key: submitting the same form
    twice returns the first outcome and charges once. Raises BillingRefused
    (offer problems, declined cards, an existing subscription); a refusal
    leaves nothing behind: no subscription, no invoice, no account.
    """
    previous = CheckoutAttempt.objects.filter(key=key, status=CheckoutAttempt.Status.SUCCEEDED).first()
    if previous is not None and previous.subscription is not None:
        return CheckoutOutcome(previous.subscription, previous.subscription.reader, created_account=False)
    now = clock.now()
    existing_reader = reader  # a refusal rolls back an account made here; the ledger may only name an existing one
    try:
        with transaction.atomic():
            attempt, _ = CheckoutAttempt.objects.get_or_create(key=key, defaults={"plan": plan, "offer": offer})
            attempt = CheckoutAttempt.objects.select_for_update().get(pk=attempt.pk)
            if attempt.status == CheckoutAttempt.Status.SUCCEEDED:  # a concurrent twin got here first
                return CheckoutOutcome(attempt.subscription, attempt.subscription.reader, created_account=False)
            created_account = reader is None
            if reader is None:
                reader = _account_for_checkout(signup)
            outcome = _checkout(
                attempt=attempt,
                reader=reader,
                plan=plan,
                offer=offer,
                card=card,
                token=token,
                public_code=public_code,
                reader_keys=reader_keys | {f"a:{reader.pk}"},
                segment=segment,
                now=now,
            )
            return CheckoutOutcome(outcome, reader, created_account)
    except BillingRefused as refused:
        _record_refusal(key=key, plan=plan, offer=offer, reader=existing_reader, refused=refused)
        raise
    except IntegrityError as exc:
        # The constraint allowing one live subscription per reader: another tab or
        # request subscribed this reader a moment ago.
        if existing_reader is not None and _has_live_subscription(existing_reader):
            refused = BillingRefused(
                "already_subscribed", "You already have a subscription. There is no need to pay twice."
            )
            _record_refusal(key=key, plan=plan, offer=offer, reader=None, refused=refused)
            raise refused from exc
        raise


def _has_live_subscription(reader) -> bool:
    return Subscription.objects.filter(reader=reader, status__in=LIVE_STATUSES[1:]).exists()


def _record_refusal(*, key, plan, offer, reader, refused: BillingRefused) -> None:
    with transaction.atomic():
        CheckoutAttempt.objects.update_or_create(
            key=key,
            defaults={
                "plan": plan,
                "offer": offer,
                "status": CheckoutAttempt.Status.FAILED,
                "error_code": refused.code,
                "reader": reader if reader is not None and reader.pk else None,
            },
        )
        ledger.record(
            "checkout.refused",
            actor="reader",
            reader=reader if reader is not None and reader.pk else None,
            code=refused.code,
            plan=plan.code,
            offer=offer.code if offer else "",
        )


def _account_for_checkout(signup: Signup | None):
    from masthead.accounts.signup import account_create_for_checkout

    if signup is None:
        raise BillingRefused("account_needed", "Create an account or log in to subscribe.")
    try:
        return account_create_for_checkout(email=signup.email, password=signup.password)
    except ValueError as exc:
        raise BillingRefused("account_invalid", str(exc)) from None


def _check_offer(*, offer: Offer, plan: Plan, reader, token, public_code, reader_keys, segment, now) -> None:
    if offer.plan_id != plan.pk:
        raise BillingRefused("offer_plan_mismatch", "This offer is for a different plan.")
    if not offer.is_live(now):
        raise BillingRefused(
            "offer_expired", "Sorry, this offer has ended. You can still subscribe at the regular price."
        )
    if segment not in (offer.segments or []):
        raise BillingRefused(
            "offer_not_eligible", "This offer is for new readers. You can still subscribe at the regular price."
        )
    if offer.channel == Offer.Channel.PAYWALL:
        try:
            offers.check_token(token, offer_code=offer.code, reader_keys=set(reader_keys))
        except offers.TokenProblem as problem:
            raise BillingRefused("offer_token", str(problem)) from None
    elif public_code.strip().lower() != offer.public_code.lower():
        raise BillingRefused("offer_code", "That offer code is not right. Check it and try again.")
    if Redemption.objects.filter(reader=reader).exists():
        raise BillingRefused(
            "offer_used",
            "You have already used an introductory offer, so this one is not available to you. "
            "You can still subscribe at the regular price.",
        )


def _checkout(*, attempt, reader, plan, offer, card, token, public_code, reader_keys, segment, now) -> Subscription:
    if not plan.active:
        raise BillingRefused("plan_retired", "This plan is no longer available. Please choose another.")
    if _has_live_subscription(reader):
        raise BillingRefused("already_subscribed", "You already have a subscription. There is no need to pay twice.")
    if offer is not None:
        _check_offer(
            offer=offer,
            plan=plan,
            reader=reader,
            token=token,
            public_code=public_code,
            reader_keys=reader_keys,
            segment=segment,
            now=now,
        )
    customer = customer_ensure(reader=reader)
    try:
        method = payment_method_add(
            customer=customer, card=card, idempotency_key=f"attach:{attempt.key}", actor="reader"
        )
    except CardError as error:
        raise BillingRefused(error.code, error.message) from None
    if offer is not None and Redemption.objects.filter(card_fingerprint=method.fingerprint).exists():
        raise BillingRefused(
            "offer_used",
            "This card has already been used for an introductory offer. You can still subscribe at the regular price.",
        )
    subscription = Subscription.objects.create(
        reader=reader,
        plan=plan,
        offer=offer,
        offer_terms=_terms_snapshot(offer),
        status=Subscription.Status.INCOMPLETE,
        started_at=now,
        payment_method=method,
    )
    charge = subscription.schedule().due_now
    invoice = _invoice_for(subscription, charge)
    payment, result = _collect(invoice, method, attempt_number=1)
    if not result.succeeded:
        raise BillingRefused(result.decline_code or "card_declined", result.message or "Your card was declined.")
    _apply(
        subscription,
        transitions.CheckoutPaid(
            at=now,
            period_start=charge.period_start,
            period_end=charge.period_end,
            trial=charge.phase == PhaseKind.TRIAL,
        ),
        actor="reader",
    )
    if offer is not None:
        Redemption.objects.create(
            reader=reader, offer=offer, subscription=subscription, card_fingerprint=method.fingerprint
        )
    attempt.status = CheckoutAttempt.Status.SUCCEEDED
    attempt.reader = reader
    attempt.subscription = subscription
    attempt.error_code = ""
    attempt.save()
    ledger.record(
        "checkout.succeeded",
        actor="reader",
        reader=reader,
        subscription=subscription,
        invoice=invoice,
        payment=payment,
        amount=invoice.total,
        currency=invoice.currency,
        plan=plan.code,
        plan_version=plan.version,
        offer=offer.code if offer else "",
    )
    return subscription


def _terms_snapshot(offer: Offer | None) -> dict | None:
    if offer is None:
        return None
    terms = offer.terms()
    return {field: getattr(terms, field) for field in terms.__dataclass_fields__} | {"kind": str(terms.kind)}


# --- Invoices and payments --------------------------------------------------------------


def _invoice_for(subscription: Subscription, charge: Charge) -> Invoice:
    """The invoice for one period of ``subscription``; the same one however often it is asked for."""
    existing = Invoice.objects.filter(subscription=subscription, period_index=charge.index).first()
    if existing:
        return existing
    plan = subscription.plan
    invoice = Invoice.objects.create(
        number=ledger.next_number(),
        reader=subscription.reader,
        subscription=subscription,
        currency=charge.currency,
        total=charge.amount,
        period_start=charge.period_start,
        period_end=charge.period_end,
        period_index=charge.index,
        billed_to=subscription.reader.email,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        description=_line_description(plan, subscription.offer, charge),
        amount=charge.amount,
        period_start=charge.period_start,
        period_end=charge.period_end,
    )
    return invoice


def _line_description(plan: Plan, offer: Offer | None, charge: Charge) -> str:
    if offer is not None and charge.phase != PhaseKind.LIST:
        return f"{plan.name}: {offer.headline}"
    return plan.name


def _collect(invoice: Invoice, method: PaymentMethod, *, attempt_number: int) -> tuple[Payment, ChargeResult]:
    """Charge ``invoice`` to ``method``. The idempotency key names the invoice and the attempt, never a random value."""
    gateway = get_gateway()
    payment = Payment.objects.create(
        invoice=invoice,
        attempt=attempt_number,
        idempotency_key=f"invoice:{invoice.number}:attempt:{attempt_number}",
        amount=invoice.total,
        currency=invoice.currency,
        gateway=gateway.name,
        payment_method=method,
    )
    if invoice.total == 0:  # a trial's first period: nothing to collect
        result = ChargeResult(id="", succeeded=True, amount=0, currency=invoice.currency)
    else:
        result = gateway.charge(
            customer_id=method.customer.gateway_id,
            payment_method_id=method.gateway_id,
            amount=invoice.total,
            currency=invoice.currency,
            idempotency_key=payment.idempotency_key,
            description=f"{invoice.number} {invoice.lines.first()}",
            metadata={"invoice": invoice.number, "subscription": str(invoice.subscription_id)},
        )
    _record_outcome(payment, result)
    return payment, result


def _record_outcome(payment: Payment, result: ChargeResult) -> None:
    payment.gateway_charge_id = result.id
    if result.succeeded:
        payment.status = Payment.Status.SUCCEEDED
        invoice = payment.invoice
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = clock.now()
        invoice.save(update_fields=["status", "paid_at"])
    else:
        payment.status = Payment.Status.FAILED
        payment.decline_code = result.decline_code
        payment.message = result.message[:255]
    payment.save()
    ledger.record(
        "payment.succeeded" if result.succeeded else "payment.failed",
        actor=f"gateway:{payment.gateway}",
        reader=payment.invoice.reader,
        subscription=payment.invoice.subscription,
        invoice=payment.invoice,
        payment=payment,
        amount=payment.amount if result.succeeded else 0,
        currency=payment.currency,
        decline_code=result.decline_code,
    )


def payment_reconcile(*, gateway: str, charge_id: str, succeeded: bool, decline_code: str = "") -> Payment | None:
    """A gateway reports a charge's outcome. Idempotent: a payment already settled is left as it is.

    Returns the payment, or None when masthead has no record of the charge
    (which is kept in the ledger for staff to look into).
    """
    payment = Payment.objects.select_for_update().filter(gateway=gateway, gateway_charge_id=charge_id).first()
    if payment is None:
        ledger.record("payment.unmatched", actor=f"gateway:{gateway}", charge_id=charge_id, succeeded=succeeded)
        return None
    if payment.status != Payment.Status.PENDING:
        return payment
    _record_outcome(
        payment,
        ChargeResult(
            id=charge_id,
            succeeded=succeeded,
            amount=payment.amount,
            currency=payment.currency,
            decline_code=decline_code,
        ),
    )
    return payment


# --- Transitions -----------------------------------------------------------------------


# The model stores every field of the pure state under the same name, except
# has_payment_method, which is derived from the card on file.
_DERIVED = {"has_payment_method"}


def _state(subscription: Subscription) -> transitions.SubState:
    values = {
        name: getattr(subscription, name) for name in transitions.SubState.__dataclass_fields__ if name not in _DERIVED
    }
    return transitions.SubState(**values, has_payment_method=subscription.payment_method_id is not None)


def _apply(subscription: Subscription, event, *, actor) -> tuple:
    """Run the pure transition, persist the new state, and record it. Returns the effects for the caller to run."""
    before = subscription.status
    result = transitions.transition(_state(subscription), event)
    for name in transitions.SubState.__dataclass_fields__:
        if name not in _DERIVED:
            value = getattr(result.state, name)
            setattr(subscription, name, str(value) if name == "status" else value)
    subscription.save()
    ledger.record(
        "subscription.transition",
        actor=actor,
        reader=subscription.reader,
        subscription=subscription,
        event=type(event).__name__,
        before=before,
        after=subscription.status,
        effects=[type(effect).__name__ for effect in result.effects],
    )
    return tuple(result.effects)


# --- Renewals (the sandbox charges them; the lifecycle builds on this) ----------------------


def subscription_renew(*, subscription: Subscription, now: dt.datetime, actor="worker") -> Invoice | None:
    """Charge the next period of ``subscription`` to its card. Safe to run twice: the period is invoiced and
    charged once (the invoice is unique per period, the charge's idempotency key names the invoice).
    Returns the period's invoice, or None when the subscription ended instead of renewing."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if not subscription.renewal_pending:
            _apply(subscription, transitions.PeriodEnded(at=now), actor=actor)
            if not subscription.renewal_pending:  # it ended instead (canceled at period end)
                return None
        charge = subscription.schedule().charge(subscription.period_index + 1)
        invoice = _invoice_for(subscription, charge)
        if invoice.status == Invoice.Status.PAID:
            return invoice
        attempt = invoice.payments.count() + 1
        payment, result = _collect(invoice, subscription.payment_method, attempt_number=attempt)
        if result.succeeded:
            event = transitions.RenewalPaid(at=now, period_start=charge.period_start, period_end=charge.period_end)
        else:
            event = transitions.RenewalFailed(at=now)
        _apply(subscription, event, actor=actor)
        return invoice


# --- Leaving -------------------------------------------------------------------------------------


def reader_billing_close(*, reader, actor) -> None:
    """Before an account is deleted: end its subscriptions now and detach its billing records.

    Invoices and the ledger stay (they are accounting records) but no longer
    point at the account.
    """
    now = clock.now()
    for subscription in Subscription.objects.filter(reader=reader, status__in=LIVE_STATUSES):
        ledger.record(
            "subscription.closed_with_account",
            actor=actor,
            reader=reader,
            subscription=subscription,
            status=subscription.status,
        )
        subscription.status = Subscription.Status.CANCELED
        subscription.canceled_at = now
        subscription.save(update_fields=["status", "canceled_at"])
    Invoice.objects.filter(reader=reader).update(reader=None)
    Customer.objects.filter(reader=reader).update(reader=None)


# --- Plans --------------------------------------------------------------------------------------


def plan_reprice(*, plan: Plan, amount: int, actor) -> Plan:
    """A new version of ``plan`` at ``amount``. The old version stops being sold, its subscribers keep it,
    and the plan's offers move to the new version."""
    from masthead.billing import offers as offer_cache

    with transaction.atomic():
        latest = Plan.objects.select_for_update().filter(code=plan.code).order_by("-version").first()
        new = Plan.objects.create(
            code=plan.code,
            version=latest.version + 1,
            name=plan.name,
            description=plan.description,
            amount=amount,
            currency=plan.currency,
            interval=plan.interval,
            interval_count=plan.interval_count,
            active=True,
            position=plan.position,
        )
        Plan.objects.filter(code=plan.code).exclude(pk=new.pk).update(active=False)
        Offer.objects.filter(plan__code=plan.code).update(plan=new)
        ledger.record(
            "plan.repriced",
            actor=actor,
            plan=plan.code,
            old_version=plan.version,
            new_version=new.version,
            amount=amount,
        )
        transaction.on_commit(offer_cache.bump_version)
    return new
