"""The subscription lifecycle: charging a period, persisting transitions and carrying out their effects, and the
worker's renewals, dunning retries and reminders.

``billing.transitions.transition(state, event)`` decides; this module persists
the new state, writes the ledger and runs the effects (mail through ``notify``,
which sends after the commit). The actions of the reader's billing page, the
admin and checkout (``billing.actions``) build on the helpers here; the
lifecycle's own actions are importable from ``billing.actions`` too.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from masthead.billing import ledger, transitions
from masthead.billing.gateways import get_gateway
from masthead.billing.gateways.base import ChargeResult
from masthead.billing.models import (
    Invoice,
    InvoiceLine,
    Offer,
    Payment,
    PaymentMethod,
    Plan,
    Reminder,
    Subscription,
)
from masthead.billing.notices import Notice, notify
from masthead.billing.pricing import Charge, PhaseKind
from masthead.lib import clock

logger = logging.getLogger(__name__)


# --- Invoices and payments --------------------------------------------------------------


def invoice_for(subscription: Subscription, charge: Charge) -> tuple[Invoice, bool]:
    """The invoice for one period of ``subscription``, the same one however often it is asked for, and whether it
    was made just now."""
    existing = Invoice.objects.filter(subscription=subscription, period_index=charge.index).first()
    if existing:
        # The subscription (and its reader) are in hand: spare the ledger and the mail their look-ups.
        existing.subscription = subscription
        if existing.reader_id == subscription.reader_id:
            existing.reader = subscription.reader
        return existing, False
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
        description=line_description(plan, subscription.offer, charge),
        amount=charge.amount,
        period_start=charge.period_start,
        period_end=charge.period_end,
    )
    return invoice, True


def line_description(plan: Plan, offer: Offer | None, charge: Charge) -> str:
    if offer is not None and charge.phase != PhaseKind.LIST:
        return f"{plan.name}: {offer.headline}"
    return plan.name


def collect(
    invoice: Invoice, method: PaymentMethod, *, attempt_number: int, key: str = "", line: str = ""
) -> tuple[Payment, ChargeResult]:
    """Charge ``invoice`` to ``method``. The idempotency key names the invoice and the attempt, never a random value.

    ``key`` defaults to the invoice's number and the attempt; renewals pass one built from the subscription and
    the period instead, which (unlike a number from the counter) is the same again after a rolled-back attempt.
    ``line`` is the invoice's line, for the charge's description, when the caller has it (read otherwise).
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
            description=f"{invoice.number} {line or invoice.lines.first()}",
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
    payment.save(update_fields=["gateway_charge_id", "status", "decline_code", "message"])
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


def apply_transition(subscription: Subscription, event, *, actor, save: bool = True) -> tuple:
    """Run the pure transition, persist the new state, and record it. Returns the effects for the caller to run.

    ``save=False`` leaves the row to the caller, who must save it before its transaction ends (a renewal saves
    once, after the charge's outcome, rather than once per transition).
    """
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
    if save:
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


def run_effects(
    subscription: Subscription, effects: tuple, *, actor, now: dt.datetime, invoice: Invoice | None = None
) -> None:
    """Carry out what a transition asked for. Mail goes through ``notify``, which sends after commit.

    ``ChargeRenewal`` is the caller's to act on (it needs the gateway); ``ScheduleRetry`` was stored by
    ``apply_transition``.
    ``invoice`` is the one the caller just charged, when there is one (spares looking it up again).
    """

    def invoice_id(index: int) -> int | None:
        if invoice is not None and invoice.period_index == index:
            return invoice.pk
        return _invoice_id(subscription, index)

    for effect in effects:
        match effect:
            case transitions.EmailReceipt(index=index):
                notify(Notice.RECEIPT, invoice_id=invoice_id(index))
            case transitions.EmailPaymentFailed(index=index):
                notify(Notice.PAYMENT_FAILED, invoice_id=invoice_id(index))
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


def reanchor(subscription: Subscription, *, at: dt.datetime, index: int) -> None:
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
    reanchor(subscription, at=subscription.current_period_end, index=from_index)
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


def refundable_payment(subscription: Subscription) -> Payment | None:
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
    payment = refundable_payment(subscription)
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
    # Only the subscription's row is locked (OF self): what it joins (reader, plan, card, customer) comes along
    # read-only, sparing the renewal a look-up each.
    return (
        Subscription.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("reader", "plan", "offer", "payment_method__customer")
        .filter(pk=pk, **due)
        .first()
    )


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
        # Saved below, with the charge's outcome: the pending state is never seen outside this transaction.
        effects = apply_transition(locked, transitions.PeriodEnded(at=now), actor=actor, save=False)
        charging = any(isinstance(effect, transitions.ChargeRenewal) for effect in effects)
        if not charging:
            locked.save()
        run_effects(locked, effects, actor=actor, now=now)
        if not charging:
            return None  # canceled at the period's end, or a trial without a card
        invoice, _ = charge_renewal(locked, now=now, actor=actor)
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
        invoice, _ = charge_renewal(locked, now=now, actor=actor)
        return invoice


def charge_renewal(subscription: Subscription, *, now: dt.datetime, actor) -> tuple[Invoice, ChargeResult | None]:
    """Charge the pending renewal to the subscription's card and apply the outcome; the subscription is locked."""
    index = subscription.period_index + 1
    charge = subscription.charge(index)
    invoice, created = invoice_for(subscription, charge)
    result = None
    if invoice.status == Invoice.Status.PAID:
        paid = True  # settled meanwhile (a gateway's report of an earlier attempt): nothing more to charge
    elif subscription.payment_method is None:
        paid = False
        ledger.record("payment.no_card", actor=actor, reader=subscription.reader, subscription=subscription)
    else:
        # Committed failures only: a payment row from a rolled-back attempt is gone, so the rerun asks again with
        # the same key (see subscription_renew). An invoice made just now has none.
        failed = 0 if created else invoice.payments.filter(status=Payment.Status.FAILED).count()
        attempt = failed + 1
        key = f"renewal:{subscription.pk}:{index}:attempt:{attempt}"
        line = line_description(subscription.plan, subscription.offer, charge) if created else ""
        _, result = collect(invoice, subscription.payment_method, attempt_number=attempt, key=key, line=line)
        paid = result.succeeded
    if paid:
        event = transitions.RenewalPaid(at=now, period_start=charge.period_start, period_end=charge.period_end)
    else:
        event = transitions.RenewalFailed(at=now, reason=result.decline_code if result else "no_card")
    effects = apply_transition(subscription, event, actor=actor)
    run_effects(subscription, effects, actor=actor, now=now, invoice=invoice)
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
