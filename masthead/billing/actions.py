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

from django.conf import settings
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
    Reminder,
    Subscription,
)
from masthead.billing.notices import Notice, notify
from masthead.billing.pricing import Charge, PhaseKind, add_months
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
                reader = account_for_checkout(signup)
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


def account_for_checkout(signup: Signup | None):
    """The account a checkout makes for a new reader; raises BillingRefused when it can't be made."""
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


def checkout_check(*, plan, offer, reader, token, public_code, reader_keys, segment, now) -> None:
    """Raise BillingRefused when ``reader`` may not have ``plan`` through ``offer``; the checks every checkout
    makes before a card is involved, whether masthead or the gateway takes the card."""
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


def _checkout(*, attempt, reader, plan, offer, card, token, public_code, reader_keys, segment, now) -> Subscription:
    checkout_check(
        plan=plan,
        offer=offer,
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
    effects = _apply(
        subscription,
        transitions.CheckoutPaid(
            at=now,
            period_start=charge.period_start,
            period_end=charge.period_end,
            trial=charge.phase == PhaseKind.TRIAL,
        ),
        actor="reader",
    )
    _run_effects(subscription, effects, actor="reader", now=now)
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


def _collect(
    invoice: Invoice, method: PaymentMethod, *, attempt_number: int, key: str = ""
) -> tuple[Payment, ChargeResult]:
    """Charge ``invoice`` to ``method``. The idempotency key names the invoice and the attempt, never a random value.

    ``key`` defaults to the invoice's number and the attempt; renewals pass one built from the subscription and
    the period instead, which (unlike a number from the counter) is the same again after a rolled-back attempt.
    """
    gateway = get_gateway()
    payment = Payment.objects.create(
        invoice=invoice,
        attempt=attempt_number,
        idempotency_key=key or f"invoice:{invoice.number}:attempt:{attempt_number}",
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
    result = transitions.transition(
        _state(subscription),
        event,
        retry_days=tuple(settings.BILLING_RETRY_DAYS),
        final_status=transitions.Status(settings.BILLING_FINAL_STATUS),
    )
    for name in transitions.SubState.__dataclass_fields__:
        if name not in _DERIVED:
            value = getattr(result.state, name)
            setattr(subscription, name, str(value) if name == "status" else value)
    # next_retry_at is the pending ScheduleRetry, stored for the dunning worker to find; it means nothing once
    # the renewal is settled or the subscription is no longer past due.
    retry = next((e for e in result.effects if isinstance(e, transitions.ScheduleRetry)), None)
    if retry is not None:
        subscription.next_retry_at = retry.at
    elif not (subscription.renewal_pending and subscription.status == Subscription.Status.PAST_DUE):
        subscription.next_retry_at = None
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


# --- Effects ----------------------------------------------------------------------------------


def _invoice_id(subscription: Subscription, index: int) -> int | None:
    return Invoice.objects.filter(subscription=subscription, period_index=index).values_list("pk", flat=True).first()


def _run_effects(subscription: Subscription, effects: tuple, *, actor, now: dt.datetime) -> None:
    """Carry out what a transition asked for. Mail goes through ``notify``, which sends after commit.

    ``ChargeRenewal`` is the caller's to act on (it needs the gateway); ``ScheduleRetry`` was stored by ``_apply``.
    """
    for effect in effects:
        match effect:
            case transitions.EmailReceipt(index=index):
                notify(Notice.RECEIPT, invoice_id=_invoice_id(subscription, index))
            case transitions.EmailPaymentFailed(index=index):
                notify(Notice.PAYMENT_FAILED, invoice_id=_invoice_id(subscription, index))
            case transitions.VoidRenewal(index=index):
                Invoice.objects.filter(
                    subscription=subscription, period_index=index, status=Invoice.Status.OPEN
                ).update(status=Invoice.Status.VOID)
            case transitions.Refund(amount=amount):
                _refund(subscription, amount, actor=actor)
            case transitions.ChangePlan(plan=code, from_index=index):
                _change_plan(subscription, code, from_index=index, actor=actor)
            case transitions.EmailCancellationConfirmed():
                notify(Notice.CANCELLATION_CONFIRMED, subscription_id=subscription.pk)
            case transitions.EmailSubscriptionResumed():
                notify(Notice.SUBSCRIPTION_RESUMED, subscription_id=subscription.pk)
            case transitions.EmailSubscriptionEnded():
                notify(Notice.SUBSCRIPTION_ENDED, subscription_id=subscription.pk)
            case transitions.EmailCompGranted():
                notify(Notice.COMP_GRANTED, subscription_id=subscription.pk)
            case transitions.EmailPlanChangeConfirmed():
                notify(Notice.PLAN_CHANGE_CONFIRMED, subscription_id=subscription.pk)
            case _:
                # Checkout shows its own failure; ChargeRenewal and ScheduleRetry are handled by the callers.
                pass


def _reanchor(subscription: Subscription, *, at: dt.datetime, index: int) -> None:
    """From charge ``index`` on, charge the plan's list price per period, counted from ``at``.

    What is left of an introductory offer ends here: a plan change or a comp replaces it.
    """
    subscription.anchored_at = at
    subscription.anchor_index = index
    subscription.offer_terms = None
    subscription.save(update_fields=["anchored_at", "anchor_index", "offer_terms"])


def _change_plan(subscription: Subscription, code: str, *, from_index: int, actor) -> None:
    plan = Plan.objects.filter(code=code).order_by("-version").first()
    if plan is None:  # the plan was deleted since the change was scheduled: renew on the current one
        ledger.record("subscription.plan_change_dropped", actor=actor, subscription=subscription, plan=code)
        return
    previous = subscription.plan
    subscription.plan = plan
    subscription.save(update_fields=["plan"])
    _reanchor(subscription, at=subscription.current_period_end, index=from_index)
    ledger.record(
        "subscription.plan_changed",
        actor=actor,
        reader=subscription.reader,
        subscription=subscription,
        old_plan=str(previous),
        new_plan=str(plan),
        plan=plan.code,
        plan_version=plan.version,
        from_index=from_index,
    )


def _refundable_payment(subscription: Subscription) -> Payment | None:
    """The succeeded payment for the current period, or None when it cost nothing (a trial, a comp)."""
    return (
        Payment.objects.select_related("invoice")
        .filter(
            invoice__subscription=subscription,
            invoice__period_index=subscription.period_index,
            status=Payment.Status.SUCCEEDED,
            amount__gt=0,
        )
        .first()
    )


def _refund(subscription: Subscription, amount: int, *, actor) -> None:
    """Give back ``amount`` of what the current period cost. The ledger row is written first; the gateway's
    idempotency key names it, so a repeated call can never refund twice."""
    payment = _refundable_payment(subscription)
    invoice = payment.invoice
    entry = ledger.record(
        "refund.issued",
        actor=actor,
        reader=subscription.reader,
        subscription=subscription,
        invoice=invoice,
        payment=payment,
        amount=-amount,
        currency=invoice.currency,
    )
    get_gateway().refund(charge_id=payment.gateway_charge_id, amount=amount, idempotency_key=f"refund:{entry.pk}")
    invoice.amount_refunded += amount
    invoice.save(update_fields=["amount_refunded"])


# --- Renewals and dunning ----------------------------------------------------------------------

RENEWABLE = (Subscription.Status.TRIALING, Subscription.Status.ACTIVE)


def _claim(pk: int, **due) -> Subscription | None:
    """Lock the subscription for this transaction if it still matches ``due``; None when it does not, or when
    another worker holds it.

    PostgreSQL: ``SKIP LOCKED`` lets a second worker pass over a row the first is renewing instead of queueing
    behind it; the ``due`` conditions, checked again under the lock, then find it renewed. SQLite has no row
    locks: its IMMEDIATE transactions take the database's write lock at BEGIN, so workers run one at a time and
    the same re-check keeps the second from renewing again.
    """
    return Subscription.objects.select_for_update(skip_locked=True).filter(pk=pk, **due).first()


def subscription_renew(*, subscription: Subscription, now: dt.datetime | None = None, actor="worker") -> Invoice | None:
    """Renew ``subscription`` if its period has ended: end the period, charge the next one, settle it.

    Safe to run twice, by two workers at once, or again after a crash: the period is invoiced once (the invoice is
    unique per period) and the charge's idempotency key names the subscription, the period and the attempt, where
    the attempt counts the failed payments already committed. A crash after the gateway charged but before the
    commit rolls the payment back, so the rerun asks with the same key and the gateway answers with the first
    charge. Returns the period's invoice (paid, or open when the charge was declined), or None when there was
    nothing to renew (not due, another worker has it) or the subscription ended instead.
    """
    now = now or clock.now()
    with transaction.atomic():
        locked = _claim(subscription.pk, status__in=RENEWABLE, renewal_pending=False, current_period_end__lte=now)
        if locked is None:
            return None
        effects = _apply(locked, transitions.PeriodEnded(at=now), actor=actor)
        _run_effects(locked, effects, actor=actor, now=now)
        if not any(isinstance(effect, transitions.ChargeRenewal) for effect in effects):
            return None  # canceled at the period's end, or a trial without a card
        invoice, _ = _charge_renewal(locked, now=now, actor=actor)
        return invoice


def renewal_retry(*, subscription: Subscription, now: dt.datetime | None = None, actor="worker") -> Invoice | None:
    """Charge a past-due renewal again if its retry is due. Returns the invoice, or None when no retry was due."""
    now = now or clock.now()
    with transaction.atomic():
        locked = _claim(
            subscription.pk, status=Subscription.Status.PAST_DUE, renewal_pending=True, next_retry_at__lte=now
        )
        if locked is None:
            return None
        invoice, _ = _charge_renewal(locked, now=now, actor=actor)
        return invoice


def _charge_renewal(subscription: Subscription, *, now: dt.datetime, actor) -> tuple[Invoice, ChargeResult | None]:
    """Charge the pending renewal to the subscription's card and apply the outcome; the subscription is locked."""
    index = subscription.period_index + 1
    charge = subscription.charge(index)
    invoice = _invoice_for(subscription, charge)
    result = None
    if invoice.status == Invoice.Status.PAID:
        paid = True  # settled meanwhile (a gateway's report of an earlier attempt): nothing more to charge
    elif subscription.payment_method is None:
        paid = False
        ledger.record("payment.no_card", actor=actor, reader=subscription.reader, subscription=subscription)
    else:
        # Committed failures only: a payment row from a rolled-back attempt is gone, so the rerun asks again with
        # the same key (see subscription_renew).
        attempt = invoice.payments.filter(status=Payment.Status.FAILED).count() + 1
        key = f"renewal:{subscription.pk}:{index}:attempt:{attempt}"
        _, result = _collect(invoice, subscription.payment_method, attempt_number=attempt, key=key)
        paid = result.succeeded
    if paid:
        event = transitions.RenewalPaid(at=now, period_start=charge.period_start, period_end=charge.period_end)
    else:
        event = transitions.RenewalFailed(at=now, reason=result.decline_code if result else "no_card")
    effects = _apply(subscription, event, actor=actor)
    _run_effects(subscription, effects, actor=actor, now=now)
    return invoice, result


def renewals_run(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Renew every subscription whose period has ended; returns how many this call renewed or ended.

    Each renewal is its own transaction, so a crash loses at most the one in flight, and a failure of one
    subscription is logged and skipped rather than stopping the rest.
    """
    now = now or clock.now()
    # A subscription the gateway runs itself (Stripe's: gateway_id set) renews there; its webhooks mirror it here.
    due = Subscription.objects.filter(
        status__in=RENEWABLE, renewal_pending=False, current_period_end__lte=now, gateway_id=""
    )
    return _each(due, lambda sub: subscription_renew(subscription=sub, now=now) is not None, batch=batch)


def retries_run(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Charge every past-due renewal whose retry is due; returns how many were charged."""
    now = now or clock.now()
    due = Subscription.objects.filter(
        status=Subscription.Status.PAST_DUE, renewal_pending=True, next_retry_at__lte=now, gateway_id=""
    )
    return _each(due, lambda sub: renewal_retry(subscription=sub, now=now) is not None, batch=batch)


def _each(queryset, work, *, batch: int) -> int:
    # Walked by primary key, so a row another worker holds (and leaves due) is passed over, not met again.
    done, last = 0, 0
    while True:
        pks = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return done
        for pk in pks:
            try:
                done += bool(work(Subscription(pk=pk)))
            except Exception:  # one subscription's failure must not stop the others; it stays due
                logger.exception("billing: subscription %s could not be renewed", pk)
        last = pks[-1]


# --- The reader's billing page -----------------------------------------------------------------


def _words(exc: transitions.InvalidTransition) -> BillingRefused:
    """A refused lifecycle change, in words for the reader."""
    event, state = exc.event, exc.state
    if state.status == transitions.Status.CANCELED:
        return BillingRefused("canceled", "This subscription has ended. You can subscribe again at any time.")
    if state.renewal_pending:
        return BillingRefused(
            "renewal_unpaid", "Your last renewal is unpaid, so there is no paid period left to run to its end."
        )
    if isinstance(event, transitions.CancelAtPeriodEnd) and state.cancel_at_period_end:
        return BillingRefused("already_canceling", "Your subscription is already set to end.")
    if isinstance(event, transitions.Resume) and not state.cancel_at_period_end:
        return BillingRefused("not_canceling", "Your subscription is not set to end, so there is nothing to resume.")
    return BillingRefused("not_possible", str(exc))


def _apply_or_refuse(subscription: Subscription, event, *, actor) -> tuple:
    try:
        return _apply(subscription, event, actor=actor)
    except transitions.InvalidTransition as exc:
        raise _words(exc) from None


def subscription_cancel(*, subscription: Subscription, at_period_end: bool, actor, refund_amount: int = 0) -> None:
    """Cancel at the end of the paid period (access until then), or now, refunding ``refund_amount`` minor units
    of the current period's payment. Raises BillingRefused when that is not possible or the refund is too large."""
    now = clock.now()
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if at_period_end:
            if refund_amount:
                raise BillingRefused("refund_at_period_end", "A refund goes with cancelling now, not at the end.")
            event = transitions.CancelAtPeriodEnd(at=now)
        else:
            _check_refund(locked, refund_amount)
            event = transitions.CancelNow(at=now, refund_amount=refund_amount)
        effects = _apply_or_refuse(locked, event, actor=actor)
        _run_effects(locked, effects, actor=actor, now=now)
    subscription.refresh_from_db()


def refundable(subscription: Subscription) -> int:
    """What may still be refunded of the current period's payment, in minor units (0 when nothing was paid)."""
    payment = _refundable_payment(subscription)
    return 0 if payment is None else payment.invoice.total - payment.invoice.amount_refunded


def _check_refund(subscription: Subscription, amount: int) -> None:
    if amount < 0:
        raise BillingRefused("refund_negative", "A refund can't be negative.")
    if amount and amount > refundable(subscription):
        left = refundable(subscription)
        raise BillingRefused(
            "refund_too_large", f"At most {left} cents of the current period's payment can be refunded."
        )


def subscription_resume(*, subscription: Subscription, actor) -> None:
    """Undo a cancellation at the period's end, before the period ends. Raises BillingRefused otherwise."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        effects = _apply_or_refuse(locked, transitions.Resume(at=clock.now()), actor=actor)
        _run_effects(locked, effects, actor=actor, now=clock.now())
    subscription.refresh_from_db()


@dataclass(frozen=True)
class PaymentOutcome:
    invoice: Invoice | None  # the renewal charged, or None when nothing was pending
    paid: bool
    message: str = ""  # why it was declined, for the reader


def invoice_pay(*, invoice: Invoice, actor) -> PaymentOutcome:
    """The reader's "Pay now" for the open invoice of their pending renewal, with the card on file.

    Paid, the subscription is active again. Declined, the failure is kept (it counts as a retry) and the outcome
    says why. Raises BillingRefused when the invoice is not the one waiting to be paid.
    """
    now = clock.now()
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=invoice.subscription_id)
        invoice.refresh_from_db()
        if not (
            locked.renewal_pending
            and invoice.status == Invoice.Status.OPEN
            and invoice.period_index == locked.period_index + 1
        ):
            raise BillingRefused("nothing_to_pay", "This invoice is already settled. There is nothing to pay.")
        if locked.payment_method is None:
            raise BillingRefused("no_card", "Add a card first, then we can take the payment.")
        charged, result = _charge_renewal(locked, now=now, actor=actor)
    return _outcome(charged, result)


def _outcome(invoice: Invoice, result: ChargeResult | None) -> PaymentOutcome:
    invoice.refresh_from_db()
    paid = invoice.status == Invoice.Status.PAID
    message = "" if paid else (result.message if result and result.message else "Your card was declined.")
    return PaymentOutcome(invoice, paid, message)


def payment_method_update(*, subscription: Subscription, card: CardDetails, key: str, actor) -> PaymentOutcome:
    """Put a new card on ``subscription``. When a renewal is waiting to be paid, it is charged to the new card at
    once. ``key`` is the form's idempotency key: sent twice, the card is attached once.

    Raises BillingRefused when the card is refused or the subscription has ended.
    """
    now = clock.now()
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.status in (Subscription.Status.CANCELED, Subscription.Status.INCOMPLETE):
            raise BillingRefused("canceled", "This subscription has ended. You can subscribe again at any time.")
        customer = customer_ensure(reader=locked.reader)
        try:
            method = payment_method_add(customer=customer, card=card, idempotency_key=f"attach:{key}", actor=actor)
        except CardError as error:
            raise BillingRefused(error.code, error.message) from None
        locked.payment_method = method
        locked.save(update_fields=["payment_method"])
        effects = _apply_or_refuse(locked, transitions.PaymentMethodUpdated(at=now), actor=actor)
        notify(Notice.CARD_UPDATED, payment_method_id=method.pk)
        if not any(isinstance(effect, transitions.ScheduleRetry) for effect in effects):
            return PaymentOutcome(None, paid=False)
        charged, result = _charge_renewal(locked, now=now, actor=actor)
    return _outcome(charged, result)


# --- Staff -----------------------------------------------------------------------------------------


def subscription_comp(*, subscription: Subscription, months: int, actor) -> None:
    """Give ``months`` months of access free: after the paid period (or from now, when a renewal is unpaid).

    A pending renewal is forgiven (its invoice voided). Afterwards the subscription renews at its plan's list
    price, counted from the comp's end; what was left of an introductory offer ends with the comp.
    """
    if not 1 <= months <= 36:
        raise BillingRefused("comp_months", "Give between 1 and 36 months.")
    now = clock.now()
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        running = not locked.renewal_pending and locked.current_period_end and locked.current_period_end > now
        until = add_months(locked.current_period_end if running else now, months)
        effects = _apply_or_refuse(locked, transitions.CompGranted(at=now, until=until), actor=actor)
        _reanchor(locked, at=until, index=locked.period_index + 1)
        ledger.record(
            "subscription.comp_granted",
            actor=actor,
            reader=locked.reader,
            subscription=locked,
            months=months,
            until=until.isoformat(),
        )
        _run_effects(locked, effects, actor=actor, now=now)
    subscription.refresh_from_db()


def subscription_plan_change(*, subscription: Subscription, plan: Plan, actor) -> None:
    """Move ``subscription`` to ``plan`` (its latest version then) when the current period ends.

    The renewal that follows charges the new plan's list price, with periods counted from that renewal.
    """
    now = clock.now()
    with transaction.atomic():
        # No select_related: PostgreSQL refuses FOR UPDATE across the nullable join, and the plan is not locked.
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.plan is not None and locked.plan.code == plan.code:
            raise BillingRefused("same_plan", "The subscription is on that plan already.")
        effects = _apply_or_refuse(locked, transitions.PlanChangeScheduled(at=now, plan=plan.code), actor=actor)
        ledger.record(
            "subscription.plan_change_scheduled",
            actor=actor,
            reader=locked.reader,
            subscription=locked,
            plan=plan.code,
            effective_at=locked.current_period_end.isoformat(),
        )
        _run_effects(locked, effects, actor=actor, now=now)
    subscription.refresh_from_db()


# --- Reminders -----------------------------------------------------------------------------------


def reminder_send(*, subscription: Subscription, kind: str, period_index: int) -> bool:
    """Mail one reminder, once per subscription, kind and period; returns False when it was sent before."""
    notice = {Reminder.Kind.OFFER_ENDING: Notice.OFFER_ENDING, Reminder.Kind.RENEWAL: Notice.RENEWAL_REMINDER}[kind]
    try:
        with transaction.atomic():
            Reminder.objects.create(subscription=subscription, kind=kind, period_index=period_index)
            notify(notice, subscription_id=subscription.pk)
    except IntegrityError:
        return False  # the row is the claim: another worker, or an earlier run, sent it
    return True


def reminders_run(*, now: dt.datetime | None = None) -> int:
    """Send the reminders that are due; returns how many were sent.

    - offer ending: ``BILLING_OFFER_ENDING_DAYS`` before the first charge at the list price, when that is the
      next charge;
    - renewal: ``BILLING_RENEWAL_REMINDER_DAYS`` before the renewal of a plan billed yearly (or less often).
    """
    now = now or clock.now()
    horizon = now + dt.timedelta(days=max(settings.BILLING_OFFER_ENDING_DAYS, settings.BILLING_RENEWAL_REMINDER_DAYS))
    candidates = (
        Subscription.objects.filter(
            status__in=RENEWABLE,
            renewal_pending=False,
            cancel_at_period_end=False,
            current_period_end__gt=now,
            current_period_end__lte=horizon,
        )
    ).select_related("plan")
    sent = 0
    for subscription in candidates.iterator(chunk_size=500):
        for kind, index in _reminders_due(subscription, now):
            if not Reminder.objects.filter(subscription=subscription, kind=kind, period_index=index).exists():
                sent += reminder_send(subscription=subscription, kind=kind, period_index=index)
    return sent


def _reminders_due(subscription: Subscription, now: dt.datetime) -> list[tuple[str, int]]:
    due = []
    following = subscription.charge(subscription.period_index + 1)
    ahead = following.due - now
    if subscription.offer_terms and subscription.anchor_index == 0:
        first_list = subscription.schedule().first_list_charge
        if first_list.index == following.index and ahead <= dt.timedelta(days=settings.BILLING_OFFER_ENDING_DAYS):
            due.append((Reminder.Kind.OFFER_ENDING, following.index))
    if subscription.plan.terms().period_months >= 12 and ahead <= dt.timedelta(
        days=settings.BILLING_RENEWAL_REMINDER_DAYS
    ):
        due.append((Reminder.Kind.RENEWAL, following.index))
    return due


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
