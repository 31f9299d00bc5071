"""One small handler per Stripe webhook event type; each calls one action of ``billing.stripe_sync``.

The payload is the event's ``data.object``. The webhook view adds the event's
creation time as ``_event_created``: Stripe delivers events out of order, and
that time is what lets the mirror tell a stale report from a fresh one.
"""

from __future__ import annotations

from masthead.billing import stripe_sync
from masthead.billing.models import ProviderEvent

EVENT_CREATED = "_event_created"


def seen_at(event: ProviderEvent) -> int:
    """When Stripe made the event (seconds since the epoch); when masthead received it, if unknown."""
    return int(event.payload.get(EVENT_CREATED) or event.received_at.timestamp())


def checkout_session_completed(event: ProviderEvent) -> None:
    stripe_sync.checkout_completed(session=event.payload, seen_at=seen_at(event))


def subscription_changed(event: ProviderEvent) -> None:
    """customer.subscription.created, .updated and .deleted all carry the whole subscription."""
    stripe_sync.subscription_mirror(sub=event.payload, seen_at=seen_at(event))


def invoice_paid(event: ProviderEvent) -> None:
    stripe_sync.invoice_mirror(invoice=event.payload, seen_at=seen_at(event))


def invoice_payment_failed(event: ProviderEvent) -> None:
    stripe_sync.invoice_payment_failed(invoice=event.payload, seen_at=seen_at(event))


def invoice_payment_action_required(event: ProviderEvent) -> None:
    stripe_sync.invoice_action_required(invoice=event.payload, seen_at=seen_at(event))


def charge_refunded(event: ProviderEvent) -> None:
    stripe_sync.charge_refunded(charge=event.payload)


def charge_dispute_created(event: ProviderEvent) -> None:
    stripe_sync.dispute_opened(dispute=event.payload)


# The events to enable on the webhook endpoint (docs/billing.md lists them too).
STRIPE_HANDLERS = {
    "checkout.session.completed": checkout_session_completed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "invoice.payment_action_required": invoice_payment_action_required,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": charge_dispute_created,
}


def for_stripe(handlers: dict) -> dict:
    """The Stripe handlers, to merge into ``billing.handlers.HANDLERS``.

    Event types are shared with the sandbox (it sends ``charge.refunded`` too),
    so each Stripe handler acts only on events from Stripe and hands any other
    provider's event to the handler that was registered before it.
    """
    return {type: _only_stripe(handler, handlers.get(type)) for type, handler in STRIPE_HANDLERS.items()}


def _only_stripe(handler, otherwise):
    def handle(event: ProviderEvent) -> None:
        if event.provider == stripe_sync.PROVIDER:
            handler(event)
        elif otherwise is not None:
            otherwise(event)

    handle.__name__ = handler.__name__
    handle.__doc__ = handler.__doc__
    return handle
