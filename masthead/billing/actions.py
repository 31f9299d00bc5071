"""Every change to billing facts. Checkout, the account page, the admin, commands and event handlers call these.

Each action checks, writes, records a ledger entry, and leaves side effects
(mail) to ``transaction.on_commit``. Calls to the gateway carry idempotency
keys derived from rows masthead wrote first, so a retry never moves money
twice.

The lifecycle (charging a period, persisting transitions, renewals, dunning and
reminders) is ``billing.lifecycle``; its actions are importable from here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from masthead.billing import ledger, lifecycle, offers, transitions
from masthead.billing.gateways import get_gateway
from masthead.billing.gateways.base import CardDetails, CardError, CardInfo, ChargeResult
from masthead.billing.lifecycle import (
    apply_transition,
    charge_renewal,
    collect,
    invoice_for,
    reanchor,
    refundable_payment,
    run_effects,
)
from masthead.billing.models import (
    LIVE_STATUSES,
    CheckoutAttempt,
    Customer,
    Invoice,
    Offer,
    PaymentMethod,
    Plan,
    Redemption,
    Subscription,
)
from masthead.billing.notices import Notice, notify
from masthead.billing.pricing import PhaseKind, add_months
from masthead.lib import clock

# The lifecycle's actions, where their callers have always found them.
subscription_renew = lifecycle.subscription_renew
renewals_run = lifecycle.renewals_run
renewal_retry = lifecycle.renewal_retry
retries_run = lifecycle.retries_run
reminder_send = lifecycle.reminder_send
reminders_run = lifecycle.reminders_run
payment_reconcile = lifecycle.payment_reconcile


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
    invoice, _ = invoice_for(subscription, charge)
    payment, result = collect(invoice, method, attempt_number=1)
    if not result.succeeded:
        raise BillingRefused(result.decline_code or "card_declined", result.message or "Your card was declined.")
    effects = apply_transition(
        subscription,
        transitions.CheckoutPaid(
            at=now,
            period_start=charge.period_start,
            period_end=charge.period_end,
            trial=charge.phase == PhaseKind.TRIAL,
        ),
        actor="reader",
    )
    run_effects(subscription, effects, actor="reader", now=now, invoice=invoice)
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
        return apply_transition(subscription, event, actor=actor)
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
        run_effects(locked, effects, actor=actor, now=now)
    subscription.refresh_from_db()


def refundable(subscription: Subscription) -> int:
    """What may still be refunded of the current period's payment, in minor units (0 when nothing was paid)."""
    payment = refundable_payment(subscription)
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
        run_effects(locked, effects, actor=actor, now=clock.now())
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
        charged, result = charge_renewal(locked, now=now, actor=actor)
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
        charged, result = charge_renewal(locked, now=now, actor=actor)
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
        reanchor(locked, at=until, index=locked.period_index + 1)
        ledger.record(
            "subscription.comp_granted",
            actor=actor,
            reader=locked.reader,
            subscription=locked,
            months=months,
            until=until.isoformat(),
        )
        run_effects(locked, effects, actor=actor, now=now)
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
        run_effects(locked, effects, actor=actor, now=now)
    subscription.refresh_from_db()


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
