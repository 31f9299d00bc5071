"""Mirroring Stripe: with the Stripe gateway, Stripe renews, retries and cancels, and masthead records what it says.

Each action takes a Stripe object as plain data (a webhook's ``data.object``,
or the object re-fetched by ``masthead billing reconcile``), writes masthead's
facts, and records a ledger entry with the actor ``gateway:stripe``.

Stripe does not deliver events in order, and delivers some twice. So:
- the inbox stores an event id once (a repeat is never handled);
- ``canceled`` is final, as it is at Stripe: nothing un-cancels a subscription;
- every subscription mirror remembers the time of what it applied (``seen_at``:
  the event's creation time, or the time an object was re-fetched) in its
  ledger entry, and a report older than the last one applied is ignored;
- a paid invoice grants its period once: it is found by its Stripe id, and a
  period already paid for is not paid again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from masthead.billing import ledger
from masthead.billing.gateways.base import CardInfo
from masthead.billing.models import (
    CheckoutAttempt,
    Customer,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Offer,
    Payment,
    Plan,
    Redemption,
    Subscription,
)

logger = logging.getLogger(__name__)

PROVIDER = "stripe"
ACTOR = "gateway:stripe"
Status = Subscription.Status

# Stripe's subscription statuses in masthead's words. A paused subscription (a trial that ended without a card)
# collects nothing and grants nothing, like an unpaid one.
STATUSES: dict[str, str] = {
    "incomplete": Status.INCOMPLETE,
    "incomplete_expired": Status.CANCELED,
    "trialing": Status.TRIALING,
    "active": Status.ACTIVE,
    "past_due": Status.PAST_DUE,
    "unpaid": Status.UNPAID,
    "paused": Status.UNPAID,
    "canceled": Status.CANCELED,
}
INVOICE_STATUSES: dict[str, str] = {
    "draft": Invoice.Status.OPEN,
    "open": Invoice.Status.OPEN,
    "paid": Invoice.Status.PAID,
    "void": Invoice.Status.VOID,
    "uncollectible": Invoice.Status.UNCOLLECTIBLE,
}
# An invoice in one of these states never goes back to open.
SETTLED = {Invoice.Status.PAID, Invoice.Status.VOID, Invoice.Status.UNCOLLECTIBLE}
MIRRORED = "subscription.mirrored"


# --- reading Stripe's objects (pure) -----------------------------------------------------------------


def when(timestamp: int | None) -> dt.datetime | None:
    """A Stripe timestamp (seconds since the epoch) as an aware UTC datetime; None for None."""
    return None if timestamp is None else dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)


def subscription_facts(sub: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of masthead's Subscription that a Stripe subscription object decides.

    Stripe moved the current period onto the subscription's items in API
    version 2025-03-31; both places are read. A past-due or unpaid subscription
    has entered a period it has not paid for, so it is paid through the start
    of that period, not its end.
    """
    item = ((sub.get("items") or {}).get("data") or [{}])[0]
    start = when(sub.get("current_period_start") or item.get("current_period_start"))
    end = when(sub.get("current_period_end") or item.get("current_period_end"))
    status = STATUSES.get(sub.get("status", ""), Status.INCOMPLETE)
    facts: dict[str, Any] = {
        "status": status,
        "current_period_start": start,
        "current_period_end": end,
        "cancel_at_period_end": bool(sub.get("cancel_at_period_end")),
    }
    if sub.get("start_date"):
        facts["started_at"] = when(sub["start_date"])
    if status in (Status.ACTIVE, Status.TRIALING):
        facts["paid_through"] = end
    elif status in (Status.PAST_DUE, Status.UNPAID):
        facts["paid_through"] = start
    if status == Status.CANCELED:
        ended = when(sub.get("ended_at") or sub.get("canceled_at"))
        facts["canceled_at"] = ended
        facts["cancel_at_period_end"] = False
        facts.pop("paid_through", None)
    return facts


def invoice_subscription_id(invoice: Mapping[str, Any]) -> str:
    """The id of the subscription an invoice bills, wherever the API version puts it; "" for none."""
    parent = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    value = invoice.get("subscription") or parent.get("subscription") or ""
    return value["id"] if isinstance(value, Mapping) else value


def invoice_metadata(invoice: Mapping[str, Any]) -> dict[str, str]:
    """The metadata of the subscription an invoice bills (masthead's plan, offer and reader travel there)."""
    parent = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    details = invoice.get("subscription_details") or {}
    return dict(parent.get("metadata") or details.get("metadata") or {})


def invoice_period(invoice: Mapping[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """The service period an invoice pays for: its subscription line's, not the invoice's own period_start and
    period_end (which, for a renewal, describe the period before)."""
    lines = (invoice.get("lines") or {}).get("data") or []
    periods = [line["period"] for line in lines if line.get("period")]
    if periods:
        return when(min(p["start"] for p in periods)), when(max(p["end"] for p in periods))
    return when(invoice["period_start"]), when(invoice["period_end"])


# --- subscriptions -------------------------------------------------------------------------------------


def subscription_mirror(*, sub: Mapping[str, Any], seen_at: int, actor: str = ACTOR) -> Subscription | None:
    """Make masthead's copy of a Stripe subscription match ``sub``, as Stripe reported it at ``seen_at``.

    Returns the subscription (changed or not), or None when masthead cannot
    tell whose it is (recorded in the ledger as ``stripe.unmatched``).
    """
    with transaction.atomic():
        subscription = _subscription_for(sub["id"], customer=sub.get("customer"), metadata=sub.get("metadata") or {})
        if subscription is None:
            return None
        if subscription.status == Status.CANCELED or seen_at < _watermark(subscription):
            return subscription  # final, or older news than what is already mirrored
        _write(subscription, subscription_facts(sub), seen_at=seen_at, actor=actor, why="subscription")
        return subscription


def _write(subscription: Subscription, facts: dict[str, Any], *, seen_at: int, actor: str, why: str) -> None:
    before = subscription.status
    changed = sorted(name for name, value in facts.items() if getattr(subscription, name) != value)
    for name in changed:
        setattr(subscription, name, facts[name])
    if changed:
        subscription.save(update_fields=changed)
    # Recorded even when nothing changed: the watermark must move, or a stale report could still land.
    ledger.record(
        MIRRORED,
        actor=actor,
        reader=subscription.reader,
        subscription=subscription,
        stripe_id=subscription.gateway_id,
        seen_at=seen_at,
        why=why,
        before=before,
        after=subscription.status,
        changed=changed,
    )


def _watermark(subscription: Subscription) -> int:
    """The ``seen_at`` of the newest report mirrored into ``subscription``; 0 before the first."""
    last = LedgerEntry.objects.filter(subscription=subscription, kind=MIRRORED).order_by("-id").first()
    return int(last.data.get("seen_at", 0)) if last else 0


def _subscription_for(stripe_id: str, *, customer: str | None, metadata: Mapping[str, str]) -> Subscription | None:
    """masthead's subscription for a Stripe one, locked; created (incomplete) on the first report about it."""
    existing = Subscription.objects.select_for_update().filter(gateway_id=stripe_id).first()
    if existing is not None:
        return existing
    reader = _reader_for(customer, metadata)
    plan = _plan_for(metadata)
    if reader is None or plan is None:
        ledger.record("stripe.unmatched", actor=ACTOR, stripe_id=stripe_id, customer=customer or "")
        return None
    offer = Offer.objects.filter(code=metadata.get("offer") or "").first()
    try:
        with transaction.atomic():
            Subscription.objects.create(
                reader=reader,
                plan=plan,
                offer=offer,
                offer_terms=_terms(offer),
                status=Status.INCOMPLETE,
                gateway_id=stripe_id,
            )
    except IntegrityError:
        # Another report about the same subscription made it a moment ago (the one-live-subscription constraint).
        if not Subscription.objects.filter(gateway_id=stripe_id).exists():
            raise
    return Subscription.objects.select_for_update().get(gateway_id=stripe_id)


def _reader_for(customer: str | None, metadata: Mapping[str, str]):
    from django.contrib.auth import get_user_model

    if customer:
        known = Customer.objects.filter(gateway=PROVIDER, gateway_id=customer).select_related("reader").first()
        if known is not None and known.reader is not None:
            return known.reader
    reader_id = metadata.get("reader_id") or ""
    return get_user_model().objects.filter(pk=int(reader_id)).first() if reader_id.isdigit() else None


def _plan_for(metadata: Mapping[str, str]) -> Plan | None:
    version = metadata.get("plan_version") or ""
    plans = Plan.objects.filter(code=metadata.get("plan") or "")
    return (plans.filter(version=int(version)) if version.isdigit() else plans.order_by("-version")).first()


def _terms(offer: Offer | None) -> dict | None:
    if offer is None:
        return None
    terms = offer.terms()
    return {name: getattr(terms, name) for name in terms.__dataclass_fields__} | {"kind": str(terms.kind)}


# --- invoices -------------------------------------------------------------------------------------------


def invoice_mirror(*, invoice: Mapping[str, Any], seen_at: int, actor: str = ACTOR) -> Invoice | None:
    """Record a Stripe invoice and its outcome; a paid one grants its period of access, once.

    Returns the invoice, or None when it bills no subscription masthead can
    place (recorded as ``stripe.unmatched``).
    """
    with transaction.atomic():
        stripe_sub = invoice_subscription_id(invoice)
        if not stripe_sub:
            return None
        subscription = _subscription_for(
            stripe_sub, customer=invoice.get("customer"), metadata=invoice_metadata(invoice)
        )
        if subscription is None:
            return None
        mirrored = _invoice_for(subscription, invoice)
        status = INVOICE_STATUSES.get(invoice.get("status", ""), Invoice.Status.OPEN)
        if mirrored.status in SETTLED or status == mirrored.status:
            return mirrored  # settled already (a repeat, or news older than the payment)
        mirrored.status = status
        if status == Invoice.Status.PAID:
            mirrored.paid_at = when((invoice.get("status_transitions") or {}).get("paid_at") or seen_at)
        mirrored.save(update_fields=["status", "paid_at"])
        if status == Invoice.Status.PAID:
            _record_payment(mirrored, invoice, succeeded=True, actor=actor)
            _grant(subscription, mirrored, invoice, seen_at=seen_at, actor=actor)
        return mirrored


def invoice_payment_failed(*, invoice: Mapping[str, Any], seen_at: int, actor: str = ACTOR) -> Invoice | None:
    """Record a failed attempt to collect a Stripe invoice. The subscription's status follows Stripe's own
    report (``customer.subscription.updated``, past_due). Returns the invoice, or None when unmatched."""
    with transaction.atomic():
        mirrored = invoice_mirror(invoice=invoice, seen_at=seen_at, actor=actor)
        if mirrored is not None and mirrored.status == Invoice.Status.OPEN:
            _record_payment(mirrored, invoice, succeeded=False, actor=actor)
        return mirrored


def invoice_action_required(*, invoice: Mapping[str, Any], seen_at: int, actor: str = ACTOR) -> Invoice | None:
    """The reader's bank wants them to confirm a payment (3-D Secure): record where they can do it."""
    with transaction.atomic():
        mirrored = invoice_mirror(invoice=invoice, seen_at=seen_at, actor=actor)
        if mirrored is not None:
            ledger.record(
                "invoice.action_required",
                actor=actor,
                reader=mirrored.reader,
                subscription=mirrored.subscription,
                invoice=mirrored,
                stripe_id=invoice["id"],
                hosted_invoice_url=invoice.get("hosted_invoice_url") or "",
            )
        return mirrored


def _invoice_for(subscription: Subscription, invoice: Mapping[str, Any]) -> Invoice:
    existing = Invoice.objects.filter(gateway_id=invoice["id"]).first()
    if existing is not None:
        return existing
    start, end = invoice_period(invoice)
    total = int(invoice.get("total") if invoice.get("total") is not None else invoice.get("amount_due") or 0)
    mirrored = Invoice.objects.create(
        number=ledger.next_number(),
        reader=subscription.reader,
        subscription=subscription,
        currency=str(invoice.get("currency") or "").upper(),
        total=max(total, 0),
        period_start=start,
        period_end=end,
        # The subscription row is locked, so counting its invoices gives each a distinct index.
        period_index=subscription.invoices.count(),
        billed_to=invoice.get("customer_email") or (subscription.reader.email if subscription.reader else ""),
        gateway_id=invoice["id"],
    )
    for line in (invoice.get("lines") or {}).get("data") or []:
        period = line.get("period") or {}
        InvoiceLine.objects.create(
            invoice=mirrored,
            description=(line.get("description") or subscription.plan.name)[:255],
            amount=int(line.get("amount") or 0),
            period_start=when(period.get("start")) or start,
            period_end=when(period.get("end")) or end,
        )
    ledger.record(
        "invoice.mirrored",
        actor=ACTOR,
        reader=mirrored.reader,
        subscription=subscription,
        invoice=mirrored,
        amount=mirrored.total,
        currency=mirrored.currency,
        stripe_id=invoice["id"],
    )
    return mirrored


def _record_payment(mirrored: Invoice, invoice: Mapping[str, Any], *, succeeded: bool, actor: str) -> None:
    attempt = int(invoice.get("attempt_count") or 1)
    payment, created = Payment.objects.get_or_create(
        idempotency_key=f"stripe:{invoice['id']}:attempt:{attempt}",
        defaults={
            "invoice": mirrored,
            "attempt": attempt,
            "amount": int(invoice.get("amount_paid") or 0) if succeeded else mirrored.total,
            "currency": mirrored.currency,
            "gateway": PROVIDER,
            "gateway_charge_id": _charge_id(invoice),
            "status": Payment.Status.SUCCEEDED if succeeded else Payment.Status.FAILED,
        },
    )
    if not created:
        return
    error = invoice.get("last_finalization_error") or {}
    ledger.record(
        "payment.succeeded" if succeeded else "payment.failed",
        actor=actor,
        reader=mirrored.reader,
        subscription=mirrored.subscription,
        invoice=mirrored,
        payment=payment,
        amount=payment.amount if succeeded else 0,
        currency=payment.currency,
        decline_code="" if succeeded else error.get("code", ""),
    )


def _charge_id(invoice: Mapping[str, Any]) -> str:
    charge = invoice.get("charge") or ""
    if isinstance(charge, Mapping):
        return charge.get("id") or ""
    return charge


def _grant(subscription: Subscription, mirrored: Invoice, invoice: Mapping[str, Any], *, seen_at: int, actor: str):
    """A paid invoice pays for its period: extend access through its end, once, unless the subscription ended."""
    if subscription.status == Status.CANCELED:
        return
    if subscription.paid_through is not None and subscription.paid_through >= mirrored.period_end:
        return  # this period is already paid for (the subscription's own report got here first)
    trial = mirrored.total == 0 and invoice.get("billing_reason") == "subscription_create"
    facts: dict[str, Any] = {
        "status": Status.TRIALING if trial else Status.ACTIVE,
        "current_period_start": mirrored.period_start,
        "current_period_end": mirrored.period_end,
        "paid_through": mirrored.period_end,
        "failed_attempts": 0,
        "first_failed_at": None,
    }
    if subscription.started_at is None or subscription.status == Status.INCOMPLETE:
        facts["started_at"] = mirrored.period_start
    _write(subscription, facts, seen_at=max(seen_at, _watermark(subscription)), actor=actor, why="invoice")


# --- checkout, refunds, disputes ---------------------------------------------------------------------------


def checkout_completed(*, session: Mapping[str, Any], seen_at: int, actor: str = ACTOR) -> Subscription | None:
    """A reader finished Stripe Checkout: tie the subscription to the checkout attempt and redeem the offer.

    Access itself comes from the paid invoice or the subscription's own
    report, whichever is handled first. Returns the subscription, or None for a
    session that made none (a setup-mode card update) or that masthead cannot place.
    """
    if session.get("mode") != "subscription" or not session.get("subscription"):
        return None
    metadata = session.get("metadata") or {}
    # The card was typed on Stripe's page: masthead learns its fingerprint only now, from the subscription.
    card = _subscription_card(_id(session["subscription"])) if metadata.get("offer") else None
    with transaction.atomic():
        subscription = _subscription_for(
            _id(session["subscription"]), customer=_id(session.get("customer")), metadata=metadata
        )
        if subscription is None:
            return None
        attempt = CheckoutAttempt.objects.select_for_update().filter(key=metadata.get("checkout") or "").first()
        if attempt is not None and attempt.status == CheckoutAttempt.Status.SUCCEEDED:
            return subscription  # handled already
        if attempt is not None:
            attempt.status = CheckoutAttempt.Status.SUCCEEDED
            attempt.subscription = subscription
            attempt.reader = subscription.reader
            attempt.error_code = ""
            attempt.save()
        if subscription.offer is not None:
            _redeem(subscription, card=card, actor=actor)
        ledger.record(
            "checkout.succeeded",
            actor=actor,
            reader=subscription.reader,
            subscription=subscription,
            amount=int(session.get("amount_total") or 0),
            currency=str(session.get("currency") or "").upper(),
            plan=subscription.plan.code,
            plan_version=subscription.plan.version,
            offer=subscription.offer.code if subscription.offer else "",
            stripe_session=session.get("id", ""),
        )
        return subscription


# --- once per reader, after the fact ---------------------------------------------------------------------

OFFER_WITHDRAWN = "offer.withdrawn"


def _stripe():
    """The Stripe gateway, or None when this process is not configured to talk to Stripe."""
    from masthead.billing.gateways import get_gateway

    gateway = get_gateway()
    return gateway if gateway.name == PROVIDER else None


def _subscription_card(stripe_id: str) -> CardInfo | None:
    """The card a Stripe subscription charges, or None when it cannot be known (no card, no Stripe)."""
    gateway = _stripe()
    return gateway.subscription_card(stripe_id) if gateway is not None else None


def _redeem(subscription: Subscription, *, card: CardInfo | None, actor: str) -> None:
    """Record that ``subscription``'s reader used its introductory offer, once per reader and per card.

    With Checkout the card is typed on Stripe's page, after masthead's checks, so
    "once per card" can only be enforced afterwards: when the card (or the account)
    already redeemed an introductory offer, the offer is withdrawn from the next
    period on (``_withdraw``). Safe to repeat: a subscription is redeemed once.
    """
    if (
        Redemption.objects.filter(subscription=subscription).exists()
        or LedgerEntry.objects.filter(subscription=subscription, kind=OFFER_WITHDRAWN).exists()
    ):
        return  # handled already
    fingerprint = card.fingerprint if card is not None else f"stripe:{subscription.gateway_id}"
    earlier = _earlier_redemption(subscription, fingerprint)
    if earlier is None:
        try:
            with transaction.atomic():
                Redemption.objects.create(
                    reader=subscription.reader,
                    offer=subscription.offer,
                    subscription=subscription,
                    card_fingerprint=fingerprint,
                )
            return
        except IntegrityError:
            # Another checkout with the same card (or account) redeemed a moment ago; its row is committed now.
            earlier = _earlier_redemption(subscription, fingerprint)
            if earlier is None:
                raise
    _withdraw(subscription, earlier=earlier, card=card, by_card=earlier.card_fingerprint == fingerprint, actor=actor)


def _earlier_redemption(subscription: Subscription, fingerprint: str) -> Redemption | None:
    """A redemption by the same card or the same account for another subscription; None when there is none."""
    same = Q(card_fingerprint=fingerprint)
    if subscription.reader_id is not None:
        same |= Q(reader_id=subscription.reader_id)
    return Redemption.objects.filter(same).exclude(subscription=subscription).select_related("offer").first()


def _withdraw(subscription: Subscription, *, earlier: Redemption, card: CardInfo | None, by_card: bool, actor: str):
    """Take an introductory offer away from a subscription whose card or account had one before.

    The first period, already paid at the introductory price through Checkout,
    stays as it is; the discount is removed at Stripe, so every later period is
    charged the plan's price. A ledger entry says why, and the subscription is
    flagged for staff (who may also ask for the difference, or let it be).
    """
    if subscription.reader_id is not None and not Redemption.objects.filter(reader=subscription.reader).exists():
        # The reader has now had an introductory period: by account, they may not have another.
        Redemption.objects.create(
            reader=subscription.reader,
            offer=subscription.offer,
            subscription=subscription,
            card_fingerprint=f"stripe:{subscription.gateway_id}",
        )
    gateway = _stripe()
    if gateway is not None:
        gateway.subscription_discounts_remove(
            subscription.gateway_id, idempotency_key=f"offer-withdrawn:{subscription.gateway_id}"
        )
    why = "card" if by_card else "account"
    ledger.record(
        OFFER_WITHDRAWN,
        actor=actor,
        reader=subscription.reader,
        subscription=subscription,
        offer=subscription.offer.code,
        why=why,
        card=f"{card.brand} {card.last4}" if card is not None else "",
        earlier_subscription=earlier.subscription_id,
        earlier_offer=earlier.offer.code,
        discount_removed=gateway is not None,
    )
    subscription.offer_terms = None  # masthead's schedule says what Stripe now charges: the plan's price
    subscription.staff_flag = (
        f"Introductory offer {subscription.offer.code} withdrawn: this {why} had an introductory offer before "
        f"(subscription {earlier.subscription_id}). The first period was charged at the introductory price; "
        + ("later periods are charged the plan's price." if gateway else "remove the discount in Stripe.")
    )[:255]
    subscription.save(update_fields=["offer_terms", "staff_flag"])


def charge_refunded(*, charge: Mapping[str, Any], actor: str = ACTOR) -> Invoice | None:
    """Stripe refunded (part of) a charge, from masthead or from Stripe's dashboard: record how much is refunded
    now. Returns the invoice the charge paid, or None when masthead made no such payment."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(gateway=PROVIDER, gateway_charge_id=charge["id"])
            .select_related("invoice")
            .first()
        )
        if payment is None:
            ledger.record("refund.unmatched", actor=actor, charge_id=charge["id"])
            return None
        invoice = payment.invoice
        refunded = int(charge.get("amount_refunded") or 0)
        if refunded <= invoice.amount_refunded:
            return invoice  # a repeat, or older news
        delta = refunded - invoice.amount_refunded
        invoice.amount_refunded = refunded
        invoice.save(update_fields=["amount_refunded"])
        ledger.record(
            "refund.mirrored",
            actor=actor,
            reader=invoice.reader,
            subscription=invoice.subscription,
            invoice=invoice,
            payment=payment,
            amount=-delta,
            currency=invoice.currency,
            charge_id=charge["id"],
        )
        return invoice


def dispute_opened(*, dispute: Mapping[str, Any], actor: str = ACTOR) -> None:
    """A reader disputed a charge with their bank. Recorded for staff, who answer it in Stripe's dashboard."""
    charge_id = _id(dispute.get("charge"))
    payment = Payment.objects.filter(gateway=PROVIDER, gateway_charge_id=charge_id).select_related("invoice").first()
    invoice = payment.invoice if payment else None
    ledger.record(
        "dispute.opened",
        actor=actor,
        reader=invoice.reader if invoice else None,
        subscription=invoice.subscription if invoice else None,
        invoice=invoice,
        payment=payment,
        amount=0,
        currency=str(dispute.get("currency") or "").upper(),
        disputed=int(dispute.get("amount") or 0),
        reason=dispute.get("reason") or "",
        charge_id=charge_id,
        stripe_id=dispute.get("id", ""),
    )
    if payment is None:
        logger.warning("billing: Stripe dispute %s for unknown charge %s", dispute.get("id"), charge_id)


def _id(value: Any) -> str:
    if isinstance(value, Mapping):
        return value.get("id") or ""
    return value or ""
