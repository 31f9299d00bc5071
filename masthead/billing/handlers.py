"""One small handler per provider event type. Each reads the event and calls an action.

Events whose type masthead does not act on are acknowledged and kept.
"""

from __future__ import annotations

from collections.abc import Callable

from masthead.billing import lifecycle, stripe_handlers
from masthead.billing.models import ProviderEvent

Handler = Callable[[ProviderEvent], None]


def _charge_succeeded(event: ProviderEvent) -> None:
    charge = event.payload
    lifecycle.payment_reconcile(gateway=event.provider, charge_id=charge["id"], succeeded=True)


def _charge_failed(event: ProviderEvent) -> None:
    charge = event.payload
    lifecycle.payment_reconcile(
        gateway=event.provider,
        charge_id=charge["id"],
        succeeded=False,
        decline_code=charge.get("failure_code") or "card_declined",
    )


def _acknowledge(event: ProviderEvent) -> None:
    """Nothing to do: masthead recorded this itself when it made the call."""


HANDLERS: dict[str, Handler] = {
    "charge.succeeded": _charge_succeeded,
    "charge.failed": _charge_failed,
    "charge.refunded": _acknowledge,
    "customer.created": _acknowledge,
    "payment_method.attached": _acknowledge,
}
HANDLERS.update(stripe_handlers.for_stripe(HANDLERS))


def handle(event: ProviderEvent) -> None:
    HANDLERS.get(event.type, _acknowledge)(event)
