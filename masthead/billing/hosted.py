"""Checkout on the gateway's own card page (Stripe Checkout): masthead takes the account, the gateway the card.

The checkout page asks ``collects_card_on_gateway()``; when it does, the page
shows no card fields, and Pay runs ``checkout_hosted_start``, which makes the
same checks as a card checkout, then sends the reader to the gateway. The
subscription is made when the gateway reports the completed checkout
(``billing.stripe_sync.checkout_completed``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from masthead.billing import actions, ledger
from masthead.billing.gateways import get_gateway
from masthead.billing.models import CheckoutAttempt, Offer, Plan
from masthead.lib import clock

CARD_FIELDS = ("card_name", "card_number", "card_expiry", "card_cvc")


def collects_card_on_gateway() -> bool:
    """Whether the configured gateway takes the card on its own page (Stripe) rather than masthead's (sandbox)."""
    return bool(getattr(get_gateway(), "hosts_card_page", False))


def without_card_fields(form):
    """The checkout form with only the account fields: the card is typed on the gateway's page."""
    for name in CARD_FIELDS:
        form.fields.pop(name, None)
    return form


@dataclass(frozen=True)
class HostedStart:
    url: str
    reader: object
    created_account: bool


def checkout_hosted_start(
    *,
    key: str,
    plan: Plan,
    offer: Offer | None,
    success_url: str,
    cancel_url: str,
    reader=None,
    signup: actions.Signup | None = None,
    token: str = "",
    public_code: str = "",
    reader_keys: frozenset[str] = frozenset(),
    segment: str = "anonymous",
) -> HostedStart:
    """Check the checkout as a card checkout would, then open the gateway's checkout page for it.

    Raises BillingRefused like ``actions.checkout_submit``; a refusal leaves no
    account behind. The gateway session's idempotency key names the form's key,
    so Pay pressed twice opens one session.
    """
    existing_reader = reader
    try:
        with transaction.atomic():
            attempt, _ = CheckoutAttempt.objects.get_or_create(key=key, defaults={"plan": plan, "offer": offer})
            created_account = reader is None
            if reader is None:
                reader = actions.account_for_checkout(signup)
            actions.checkout_check(
                now=clock.now(),
                plan=plan,
                offer=offer,
                reader=reader,
                token=token,
                public_code=public_code,
                reader_keys=reader_keys | {f"a:{reader.pk}"},
                segment=segment,
            )
            customer = actions.customer_ensure(reader=reader)
            metadata = {
                "reader_id": str(reader.pk),
                "plan": plan.code,
                "plan_version": str(plan.version),
                "offer": offer.code if offer else "",
                "checkout": key,
            }
            try:
                hosted = get_gateway().hosted_checkout(
                    customer_id=customer.gateway_id,
                    success_url=success_url,
                    cancel_url=cancel_url,
                    plan=plan.terms(),
                    plan_key=f"{plan.code}-v{plan.version}",
                    product_name=plan.name,
                    offer_key=offer.code if offer else "",
                    offer=offer.terms() if offer else None,
                    metadata=metadata,
                    idempotency_key=f"checkout:{key}",
                )
            except ValueError:
                raise actions.BillingRefused(
                    "offer_unavailable",
                    "This offer cannot be bought online at the moment. You can still subscribe at the regular price.",
                ) from None
            attempt.reader = reader
            attempt.save(update_fields=["reader", "updated_at"])
            ledger.record(
                "checkout.redirected",
                actor="reader",
                reader=reader,
                plan=plan.code,
                offer=offer.code if offer else "",
                session=hosted.session_id,
            )
            return HostedStart(url=hosted.url, reader=reader, created_account=created_account)
    except actions.BillingRefused as refused:
        actions._record_refusal(key=key, plan=plan, offer=offer, reader=existing_reader, refused=refused)
        raise


def update_card_url(request, *, subscription) -> str:
    """The gateway's page where the reader replaces the card on ``subscription``, returning to the billing page."""
    from django.urls import reverse

    gateway = get_gateway()
    customer = subscription.payment_method.customer if subscription.payment_method else None
    if customer is None:
        from masthead.billing.models import Customer

        customer = Customer.objects.get(reader=subscription.reader, gateway=gateway.name)
    return gateway.update_card_session(
        customer_id=customer.gateway_id,
        return_url=request.build_absolute_uri(reverse("billing:account_billing")),
        idempotency_key=f"card-update:{subscription.pk}:{secrets.token_urlsafe(12)}",
    )
