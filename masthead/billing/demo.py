"""The demo's plans, offers and subscriptions, made through the same actions a reader's checkout uses."""

from __future__ import annotations

import datetime as dt
import secrets

from masthead.billing import actions, lifecycle
from masthead.billing.gateways.base import CardDetails
from masthead.billing.models import Offer, Plan
from masthead.lib import clock

SUCCEEDS = "4242424242424242"
FAILS_LATER = "4000000000000341"  # attaches, then every charge is declined


def _card(number: str, now: dt.datetime) -> CardDetails:
    return CardDetails(number=number, exp_month=12, exp_year=now.year + 3, cvc="123", name="Demo Reader")


def build(*, now: dt.datetime, subscriber, lapsed) -> None:
    monthly = Plan.objects.create(
        code="monthly",
        name="Digital access, monthly",
        description="Every story on the web and in our apps.",
        amount=1500,
        interval="month",
        position=1,
    )
    Plan.objects.create(
        code="annual",
        name="Digital access, annual",
        description="A year of every story, for the price of ten months.",
        amount=15000,
        interval="year",
        position=2,
    )
    Offer.objects.create(
        code="intro-99",
        headline="$0.99 for your first month",
        description="Then $15.00 a month. Cancel any time.",
        plan=monthly,
        kind="intro_price",
        intro_amount=99,
        intro_periods=1,
        segments=["anonymous", "registered", "former_subscriber"],
        position=1,
    )
    Offer.objects.create(
        code="three-for-nine",
        headline="3 months for $9",
        description="Charged once today, then $15.00 a month. Ends soon.",
        plan=monthly,
        kind="bundle",
        bundle_amount=900,
        bundle_months=3,
        ends_at=now + dt.timedelta(days=30),
        segments=["anonymous", "registered"],
        position=2,
    )
    _subscribe(subscriber, monthly, at=now - dt.timedelta(days=12), number=SUCCEEDS)
    # Subscribed a month and two days ago; then the card on file became one the bank
    # declines, and the renewal two days ago failed: past due, with the payment prompt.
    subscription = _subscribe(lapsed, monthly, at=now - dt.timedelta(days=33), number=SUCCEEDS)
    renewed_at = subscription.current_period_end
    previous = clock.use(lambda: renewed_at)
    try:
        customer = actions.customer_ensure(reader=lapsed)
        subscription.payment_method = actions.payment_method_add(
            customer=customer, card=_card(FAILS_LATER, now), idempotency_key="demo:lapsed-card", actor="demo"
        )
        subscription.save(update_fields=["payment_method"])
        lifecycle.subscription_renew(subscription=subscription, now=renewed_at, actor="demo")
    finally:
        clock.use(previous)


def _subscribe(reader, plan: Plan, *, at: dt.datetime, number: str):
    previous = clock.use(lambda: at)
    try:
        outcome = actions.checkout_submit(
            key=secrets.token_urlsafe(24), plan=plan, offer=None, card=_card(number, at), reader=reader
        )
    finally:
        clock.use(previous)
    return outcome.subscription


def reset() -> None:
    """Remove every billing record (demo only: the ledger is otherwise never deleted)."""
    from masthead.billing import models
    from masthead.billing.sandbox import models as sandbox

    for model in (
        models.LedgerEntry,
        models.Redemption,
        models.CheckoutAttempt,
        models.Payment,
        models.InvoiceLine,
        models.Invoice,
        models.Subscription,
        models.PaymentMethod,
        models.Customer,
        models.Offer,
        models.Plan,
        models.ProviderEvent,
        models.Counter,
    ):
        model.objects.all().delete()
    for name in ("SandboxRefund", "SandboxCharge", "SandboxCard", "SandboxCustomer"):
        getattr(sandbox, name).objects.all().delete()
