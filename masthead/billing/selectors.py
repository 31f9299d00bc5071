from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from masthead.billing.entitlement import ANONYMOUS, Standing, SubscriptionFacts, standing
from masthead.lib import clock


def _facts(user) -> list[SubscriptionFacts]:
    """The facts of ``user``'s subscriptions, in one query, cached on the user for the request."""
    cached = getattr(user, "_masthead_billing_facts", None)
    if cached is not None:
        return cached
    from masthead.billing.models import Subscription

    user._masthead_billing_facts = [
        SubscriptionFacts(status, paid_through, cancel)
        for status, paid_through, cancel in Subscription.objects.filter(reader=user).values_list(
            "status", "paid_through", "cancel_at_period_end"
        )
    ]
    return user._masthead_billing_facts


def reader_standing(user) -> Standing:
    """The standing of ``user`` (anonymous readers included), in one query at most."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_masthead_standing", None)
    if cached is not None:
        return cached
    user._masthead_standing = standing(_facts(user), clock.now(), grace_days=settings.BILLING_GRACE_DAYS)
    return user._masthead_standing


def reader_renewal_failed(user) -> bool:
    """True when a renewal of ``user``'s failed and is unpaid (past due or unpaid), grace days or not.

    Shares ``reader_standing``'s query: a page that asks both costs one.
    """
    if user is None or not user.is_authenticated:
        return False
    return any(fact.status in ("past_due", "unpaid") for fact in _facts(user))


# --- Pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCard:
    code: str
    name: str
    description: str
    price: str  # "$15.00 a month"


@dataclass(frozen=True)
class AccountBilling:
    """Everything the account page says about money."""

    subscription: object | None  # the live (or last) subscription
    plan_name: str
    status: str  # words for the reader
    payment_failed: bool
    next_renewal: dt.datetime | None
    next_amount: str  # "$15.00", "" when nothing is due
    ends_at: dt.datetime | None  # set when the subscription will end (cancelled at period end)
    payment_method: object | None
    invoices: list
    open_invoice: object | None = None  # the renewal waiting to be paid ("Pay now")
    can_cancel: bool = False  # at the end of the paid period
    can_cancel_now: bool = False  # a renewal is unpaid: there is no paid period left to run
    can_resume: bool = False
    can_update_card: bool = False


STATUS_WORDS = {
    "incomplete": "Not started",
    "trialing": "Free trial",
    "active": "Active",
    "past_due": "Payment failed",
    "unpaid": "Unpaid",
    "canceled": "Ended",
}


def _price(amount: int, currency: str, interval: str, count: int) -> str:
    from masthead.lib.money import format_money

    unit = {"month": "month", "year": "year"}[interval]
    return (
        f"{format_money(amount, currency)} a {unit}"
        if count == 1
        else f"{format_money(amount, currency)} every {count} {unit}s"
    )


def plan_cards() -> list[PlanCard]:
    from masthead.billing.models import Plan

    latest: dict[str, Plan] = {}
    for plan in Plan.objects.filter(active=True).order_by("position", "code", "-version"):
        latest.setdefault(plan.code, plan)
    return [
        PlanCard(p.code, p.name, p.description, _price(p.amount, p.currency, p.interval, p.interval_count))
        for p in latest.values()
    ]


def account_summary(reader) -> AccountBilling:
    from masthead.billing.models import Invoice, PaymentMethod, Subscription
    from masthead.lib.money import format_money

    subscription = (
        Subscription.objects.filter(reader=reader)
        .exclude(status="incomplete")
        .select_related("plan", "payment_method")
        .order_by("-created_at", "-id")
        .first()
    )
    method = (
        PaymentMethod.objects.filter(customer__reader=reader, is_default=True).first()
        if reader.is_authenticated
        else None
    )
    invoices = list(Invoice.objects.filter(reader=reader).exclude(status="void").order_by("-created_at", "-id")[:24])
    next_renewal = next_amount = ends_at = open_invoice = None
    status = subscription.status if subscription else ""
    pending = bool(subscription and subscription.renewal_pending and status in ("past_due", "unpaid"))
    if status in ("trialing", "active", "past_due"):
        if subscription.cancel_at_period_end:
            ends_at = subscription.current_period_end
        elif not pending:
            upcoming = subscription.charge(subscription.period_index + 1)
            next_renewal = upcoming.due
            next_amount = format_money(upcoming.amount, upcoming.currency)
    if pending:
        open_invoice = next(
            (i for i in invoices if i.status == "open" and i.period_index == subscription.period_index + 1), None
        )
    running = status in ("trialing", "active") and not pending
    return AccountBilling(
        subscription=subscription,
        plan_name=str(subscription.plan) if subscription and subscription.plan else "",
        status=STATUS_WORDS.get(status, status),
        payment_failed=pending,
        next_renewal=next_renewal,
        next_amount=next_amount or "",
        ends_at=ends_at,
        payment_method=method,
        invoices=invoices,
        open_invoice=open_invoice,
        can_cancel=running and not subscription.cancel_at_period_end,
        can_cancel_now=pending,
        can_resume=running and subscription.cancel_at_period_end,
        can_update_card=status in ("trialing", "active", "past_due", "unpaid"),
    )


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    period: str
    amount: str


@dataclass(frozen=True)
class ReceiptView:
    total: str
    refunded: str
    lines: list[ReceiptLine]
    paid_with: str  # "Visa ending 4242", "" when unpaid


def receipt_view(invoice) -> ReceiptView:
    from masthead.lib.dates import format_newsroom_date
    from masthead.lib.money import format_money

    lines = [
        ReceiptLine(
            line.description,
            f"{format_newsroom_date(line.period_start)} to {format_newsroom_date(line.period_end)}",
            format_money(line.amount, invoice.currency),
        )
        for line in invoice.lines.all()
    ]
    paid = next((p for p in invoice.payments.all() if p.status == "succeeded"), None)
    return ReceiptView(
        total=format_money(invoice.total, invoice.currency),
        refunded=format_money(invoice.amount_refunded, invoice.currency) if invoice.amount_refunded else "",
        lines=lines,
        paid_with=str(paid.payment_method) if paid and paid.payment_method else "",
    )


def export_for(reader) -> dict:
    """The reader's billing data, for their JSON export: subscriptions, cards (as stored), invoices."""
    from masthead.billing.models import Invoice, PaymentMethod, Subscription

    return {
        "subscriptions": [
            {
                "plan": str(s.plan) if s.plan else None,
                "status": s.status,
                "started_at": s.started_at.isoformat(),
                "current_period_end": s.current_period_end.isoformat() if s.current_period_end else None,
                "cancel_at_period_end": s.cancel_at_period_end,
            }
            for s in Subscription.objects.filter(reader=reader).select_related("plan")
        ],
        "payment_methods": [
            {"brand": m.brand, "last4": m.last4, "exp_month": m.exp_month, "exp_year": m.exp_year}
            for m in PaymentMethod.objects.filter(customer__reader=reader)
        ],
        "invoices": [
            {
                "number": i.number,
                "status": i.status,
                "total": i.total,
                "currency": i.currency,
                "created_at": i.created_at.isoformat(),
            }
            for i in Invoice.objects.filter(reader=reader)
        ],
    }
