"""Mail to a reader about their billing: which messages exist and how to ask for one.

``notify(kind, ...)`` is called by actions inside their transaction; the message
is rendered and sent by the worker after commit, so a rolled-back action sends
nothing. Each message is sent once per occurrence: see ``occurrence_key`` and
``deliver``.

Every message has a plain-text and an HTML part, rendered from
``billing/email/<kind>.txt`` and ``.html``. Links are absolute (``SITE_URL``),
money is written by ``lib.money`` and dates in the publication's zone.
"""

from __future__ import annotations

import enum
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from masthead.lib import clock
from masthead.lib.dates import format_newsroom_date, publication_zone
from masthead.lib.money import format_money

logger = logging.getLogger(__name__)


class Notice(enum.StrEnum):
    RECEIPT = "receipt"  # invoice_id: a paid invoice, with its number
    PAYMENT_FAILED = "payment_failed"  # invoice_id: with the link to update the card
    CARD_UPDATED = "card_updated"  # payment_method_id
    OFFER_ENDING = "offer_ending"  # subscription_id: N days before an intro price ends: the new price and the date
    RENEWAL_REMINDER = "renewal_reminder"  # subscription_id: before an annual renewal
    CANCELLATION_CONFIRMED = "cancellation_confirmed"  # subscription_id
    SUBSCRIPTION_RESUMED = "subscription_resumed"  # subscription_id
    SUBSCRIPTION_ENDED = "subscription_ended"  # subscription_id
    COMP_GRANTED = "comp_granted"  # subscription_id
    PLAN_CHANGE_CONFIRMED = "plan_change_confirmed"  # subscription_id: the new plan, from the next renewal


# Which id each kind is about.
_SUBJECT_OF = {
    Notice.RECEIPT: "invoice_id",
    Notice.PAYMENT_FAILED: "invoice_id",
    Notice.CARD_UPDATED: "payment_method_id",
}


def notify(
    kind: Notice,
    *,
    invoice_id: int | None = None,
    subscription_id: int | None = None,
    payment_method_id: int | None = None,
) -> None:
    """Send ``kind`` to the reader concerned, after the current transaction commits.

    Raises ``ValueError`` for an unknown kind. Nothing is sent (and an error is logged) when the id the kind is
    about is missing; nothing is sent when the transaction rolls back, when the reader's account was deleted, or
    when this occurrence was sent before.
    """
    kind = Notice(kind)
    field = _SUBJECT_OF.get(kind, "subscription_id")
    ids = {"invoice_id": invoice_id, "subscription_id": subscription_id, "payment_method_id": payment_method_id}
    if ids[field] is None:
        # A bug in the caller, but mail must never undo the action it reports (a payment, a cancellation).
        logger.error("notify(%s) without %s: nothing will be sent", kind.value, field)
        return
    ids = {field: ids[field]}
    key = occurrence_key(kind, ids[field])
    # robust: the action has committed by now; a queue that is down must not turn its success into an error.
    transaction.on_commit(functools.partial(_enqueue, kind.value, key, ids), robust=True)


def _enqueue(kind: str, key: str, ids: dict) -> None:
    from masthead.billing.notice_tasks import send_notice

    send_notice.enqueue(kind=kind, key=key, **ids)


def occurrence_key(kind: Notice, object_id: int) -> str:
    """What makes one sending of ``kind`` about ``object_id`` different from another, as of now.

    Most notices happen once per object (an invoice is paid once). The others name the occurrence: each failed
    attempt at an invoice, each annual period's reminder, and each cancel or resume (by the subscription's latest
    ledger entry, since a reader may cancel, resume and cancel again). Called inside the action's transaction, so
    it sees what the action wrote.
    """
    from masthead.billing.models import LedgerEntry, Payment, Subscription

    if kind == Notice.PAYMENT_FAILED:
        attempt = Payment.objects.filter(invoice_id=object_id, status=Payment.Status.FAILED).order_by("-id")
        return f"invoice:{object_id}:payment:{attempt.values_list('id', flat=True).first() or 0}"
    if kind == Notice.RECEIPT:
        return f"invoice:{object_id}"
    if kind == Notice.CARD_UPDATED:
        return f"payment_method:{object_id}"
    if kind == Notice.RENEWAL_REMINDER:
        period_end = Subscription.objects.filter(pk=object_id).values_list("current_period_end", flat=True).first()
        return f"subscription:{object_id}:period:{period_end.isoformat() if period_end else '-'}"
    if kind in (Notice.CANCELLATION_CONFIRMED, Notice.SUBSCRIPTION_RESUMED, Notice.PLAN_CHANGE_CONFIRMED):
        latest = LedgerEntry.objects.filter(subscription_id=object_id).order_by("-id").values_list("id", flat=True)
        return f"subscription:{object_id}:ledger:{latest.first() or 0}"
    return f"subscription:{object_id}"


def deliver(
    kind: str,
    key: str,
    *,
    invoice_id: int | None = None,
    subscription_id: int | None = None,
    payment_method_id: int | None = None,
) -> str:
    """Render and send one notice; returns what happened: ``sent``, ``already_sent`` or ``no_reader``.

    ONCE, AND WHY AT MOST ONCE: the occurrence is claimed by inserting its ``SentNotice`` row (unique on kind and
    key) and committing, and only then is the message sent. A second delivery of the same occurrence (a repeated
    notify, a task run twice) fails the insert and sends nothing. If the send raises, the claim is released, so
    running the task again retries it. The cost: a worker that dies during the send leaves the claim behind, and
    that message is never sent (at-most-once). The other order, inserting the row in one transaction with the send
    and committing after it succeeds, is at-least-once instead (a crash after the server accepted the message but
    before the commit sends it again), but it holds a write transaction open for a whole SMTP or API conversation,
    which on SQLite blocks every other writer on the site for as long as the mail server takes. A lost "your card
    was updated" is the smaller harm.
    """
    from masthead.ops.models import SentNotice

    message = compose(
        Notice(kind), invoice_id=invoice_id, subscription_id=subscription_id, payment_method_id=payment_method_id
    )
    if message is None:
        return "no_reader"
    namespaced = f"billing.{kind}"
    try:
        with transaction.atomic():
            SentNotice.objects.create(kind=namespaced, key=key, sent_at=clock.now())
    except IntegrityError:
        return "already_sent"
    try:
        message.send(using="default")
    except Exception:
        SentNotice.objects.filter(kind=namespaced, key=key).delete()
        raise
    return "sent"


# --- Rendering ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What one message says: to whom, its subject (without the publication's name) and the templates' context."""

    to: str
    subject: str
    context: dict


def compose(
    kind: Notice,
    *,
    invoice_id: int | None = None,
    subscription_id: int | None = None,
    payment_method_id: int | None = None,
) -> EmailMultiAlternatives | None:
    """The message for ``kind``, or ``None`` when there is nobody to send it to (a deleted reader or row)."""
    object_id = invoice_id or subscription_id or payment_method_id
    draft = _DRAFTS[kind](object_id)
    if draft is None:
        return None
    context = {
        "publication_name": settings.PUBLICATION_NAME,
        "language": settings.PUBLICATION_LANGUAGE,
        "site_url": settings.SITE_URL,
        "account_url": absolute("/account/"),
        "billing_url": absolute(reverse("billing:account_billing")),
        "subject": draft.subject,
        **draft.context,
    }
    # Template tags on lines of their own leave blank lines behind; a paragraph break is one blank line.
    text = re.sub(r"\n{3,}", "\n\n", render_to_string(f"billing/email/{kind.value}.txt", context)).strip() + "\n"
    html = render_to_string(f"billing/email/{kind.value}.html", context)
    message = EmailMultiAlternatives(
        subject=f"{settings.PUBLICATION_NAME}: {draft.subject}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[draft.to],
    )
    message.attach_alternative(html, "text/html")
    return message


def absolute(path: str) -> str:
    """``path`` on the public site, e.g. ``https://news.example.com/account/billing/``."""
    return settings.SITE_URL.rstrip("/") + path


def _date(moment) -> str:
    return format_newsroom_date(moment) if moment else ""


def _invoice(invoice_id: int):
    from masthead.billing.models import Invoice

    invoice = (
        Invoice.objects.select_related("reader", "subscription__plan", "subscription__payment_method")
        .prefetch_related("lines", "payments__payment_method")
        .filter(pk=invoice_id)
        .first()
    )
    return invoice if invoice is not None and invoice.reader is not None else None


def _card(invoice, *, status: str) -> str:
    """ "Visa ending 4242": the card of the invoice's latest payment with ``status``, else the subscription's."""
    payments = [p for p in invoice.payments.all() if p.status == status and p.payment_method is not None]
    method = payments[-1].payment_method if payments else invoice.subscription.payment_method
    return str(method) if method is not None else ""


def _receipt(invoice_id: int) -> Draft | None:
    from masthead.billing import selectors

    invoice = _invoice(invoice_id)
    if invoice is None:
        return None
    view = selectors.receipt_view(invoice)
    return Draft(
        to=invoice.reader.email,
        subject=f"Receipt {invoice.number}",
        context={
            "invoice": invoice,
            "number": invoice.number,
            "lines": view.lines,
            "total": view.total,
            "paid_on": _date(invoice.paid_at or invoice.created_at),
            "card": view.paid_with or _card(invoice, status="succeeded"),
            "receipt_url": absolute(reverse("billing:receipt", args=[invoice.number])),
        },
    )


def _payment_failed(invoice_id: int) -> Draft | None:
    invoice = _invoice(invoice_id)
    if invoice is None:
        return None
    return Draft(
        to=invoice.reader.email,
        subject="Your payment didn't go through",
        context={
            "invoice": invoice,
            "number": invoice.number,
            "amount": format_money(invoice.total, invoice.currency),
            "card": _card(invoice, status="failed"),
            "update_url": absolute(reverse("billing:account_billing")),
        },
    )


def _card_updated(payment_method_id: int) -> Draft | None:
    from masthead.billing.models import PaymentMethod

    method = PaymentMethod.objects.select_related("customer__reader").filter(pk=payment_method_id).first()
    if method is None or method.customer.reader is None:
        return None
    return Draft(
        to=method.customer.reader.email,
        subject="Your card was updated",
        context={"card": str(method), "expires": f"{method.exp_month:02d}/{method.exp_year}"},
    )


def _subscription(subscription_id: int):
    from masthead.billing.models import Subscription

    subscription = Subscription.objects.select_related("reader", "plan").filter(pk=subscription_id).first()
    return subscription if subscription is not None and subscription.reader is not None else None


def _about_subscription(build: Callable) -> Callable[[int], Draft | None]:
    """A draft builder for a subscription notice: ``build(subscription)`` returns (subject, context)."""

    def draft(subscription_id: int) -> Draft | None:
        subscription = _subscription(subscription_id)
        if subscription is None:
            return None
        subject, context = build(subscription)
        plan_name = subscription.plan.name if subscription.plan else ""
        return Draft(subscription.reader.email, subject, {"subscription": subscription, "plan": plan_name, **context})

    return draft


def _next_charge(subscription) -> dict:
    """The reader's next charge, from the subscription's schedule: its date and amount as text."""
    charge = subscription.schedule().charge(subscription.period_index + 1)
    return {"date": _date(charge.due), "amount": format_money(charge.amount, charge.currency)}


def _offer_ending(subscription) -> tuple[str, dict]:
    from masthead.billing.pricing import describe

    summary = describe(subscription.schedule(), tz=publication_zone())
    first = subscription.schedule().first_list_charge
    context = {
        "date": summary.first_list_charge_date,
        "amount": format_money(first.amount, first.currency),
        "recurring": summary.recurring,
        "intro": summary.intro or "",
    }
    return f"Your introductory price ends on {context['date']}", context


def _renewal_reminder(subscription) -> tuple[str, dict]:
    upcoming = _next_charge(subscription)
    return f"Your subscription renews on {upcoming['date']}", upcoming


def _cancellation_confirmed(subscription) -> tuple[str, dict]:
    until = _date(subscription.paid_through or subscription.current_period_end)
    return "Your subscription is canceled", {"until": until, "subscribe_url": absolute("/subscribe/")}


def _subscription_resumed(subscription) -> tuple[str, dict]:
    return "Your subscription continues", _next_charge(subscription)


def _subscription_ended(subscription) -> tuple[str, dict]:
    ended = subscription.canceled_at or subscription.paid_through or clock.now()
    return "Your subscription has ended", {"ended": _date(ended), "subscribe_url": absolute("/subscribe/")}


def _comp_granted(subscription) -> tuple[str, dict]:
    return "You have complimentary access", {"until": _date(subscription.paid_through)}


def _plan_change_confirmed(subscription) -> tuple[str, dict]:
    from masthead.billing.models import Plan

    new = Plan.objects.filter(code=subscription.scheduled_plan, active=True).order_by("-version").first()
    context = {
        "date": _date(subscription.current_period_end),
        "new_plan": new.name if new else subscription.scheduled_plan,
        "new_price": format_money(new.amount, new.currency) if new else "",
    }
    return f"Your plan changes on {context['date']}", context


_DRAFTS: dict[Notice, Callable[[int], Draft | None]] = {
    Notice.RECEIPT: _receipt,
    Notice.PAYMENT_FAILED: _payment_failed,
    Notice.CARD_UPDATED: _card_updated,
    Notice.OFFER_ENDING: _about_subscription(_offer_ending),
    Notice.RENEWAL_REMINDER: _about_subscription(_renewal_reminder),
    Notice.CANCELLATION_CONFIRMED: _about_subscription(_cancellation_confirmed),
    Notice.SUBSCRIPTION_RESUMED: _about_subscription(_subscription_resumed),
    Notice.SUBSCRIPTION_ENDED: _about_subscription(_subscription_ended),
    Notice.COMP_GRANTED: _about_subscription(_comp_granted),
    Notice.PLAN_CHANGE_CONFIRMED: _about_subscription(_plan_change_confirmed),
}
