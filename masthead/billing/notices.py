"""Mail to a reader about their billing: which messages exist and how to ask for one.

``notify(kind, ...)`` is called by actions inside their transaction; the message
is rendered and sent by the worker after commit, so a rolled-back action sends
nothing.

INTERFACE (rendering and sending pending).
"""

from __future__ import annotations

import enum


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


def notify(
    kind: Notice,
    *,
    invoice_id: int | None = None,
    subscription_id: int | None = None,
    payment_method_id: int | None = None,
) -> None:
    """Send ``kind`` to the reader concerned, after the current transaction commits."""
    return None
