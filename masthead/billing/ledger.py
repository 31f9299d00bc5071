"""Writing to the append-only billing ledger, and the gap-free invoice numbers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from masthead.billing.models import Counter, LedgerEntry


def actor_label(actor) -> str:
    """How the ledger names whoever acted: a person by email, or a role such as "worker"."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    role = "staff" if getattr(actor, "is_staff", False) else "reader"
    return f"{role}:{actor.email}"


def record(
    kind: str,
    *,
    actor,
    reader=None,
    subscription=None,
    invoice=None,
    payment=None,
    amount: int = 0,
    currency: str = "",
    **data: Any,
) -> LedgerEntry:
    return LedgerEntry.objects.create(
        kind=kind,
        reader=reader,
        subscription=subscription,
        invoice=invoice,
        payment=payment,
        amount=amount,
        currency=currency,
        actor=None if actor is None or isinstance(actor, str) else actor,
        actor_label=actor_label(actor),
        data=data,
    )


def next_number(name: str = "invoice", *, prefix: str = "INV") -> str:
    """The next number in a gap-free sequence, e.g. INV-000042.

    Called inside the transaction that creates the invoice: the counter row is
    locked until it commits, so a rolled-back checkout gives its number back.
    """
    assert transaction.get_connection().in_atomic_block, "next_number runs inside the invoice's transaction"
    # The UPDATE locks the row until the commit (a concurrent one waits, then adds to the committed value), and the
    # increment happens in the database, so reading it back needs no lock of its own.
    if not Counter.objects.filter(name=name).update(value=F("value") + 1):
        Counter.objects.get_or_create(name=name)  # the sequence's first number
        Counter.objects.filter(name=name).update(value=F("value") + 1)
    value = Counter.objects.filter(name=name).values_list("value", flat=True).get()
    return f"{prefix}-{value:06d}"
