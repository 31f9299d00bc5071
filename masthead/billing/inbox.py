"""The provider-event inbox: every gateway event is stored, de-duplicated on (provider, event_id), then handled.

Stripe's webhooks and the sandbox's outcomes arrive here alike, so one set of
handlers (``billing.handlers``) serves both. An event is stored first, in its
own row, and handled after commit by the worker; a handler that fails leaves
the event unprocessed with its error, to be retried. Handlers are idempotent:
the same payment reported twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from masthead.lib import clock

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def receive(*, provider: str, event_id: str, type: str, payload: Mapping[str, Any]) -> bool:
    """Store an event from ``provider``; returns False when it was already stored (a duplicate delivery).

    Handling happens after commit, in the worker.
    """
    from masthead.billing.models import ProviderEvent

    fields = {"provider": provider, "event_id": event_id, "type": type, "payload": dict(payload)}
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: a duplicate must not break the caller's transaction
                event = ProviderEvent.objects.create(**fields)
        else:
            # One INSERT in autocommit is atomic by itself; a transaction around it would only add BEGIN and COMMIT
            # (the sandbox reports every charge from here, after the charge's own transaction).
            event = ProviderEvent.objects.create(**fields)
    except IntegrityError:
        return False
    transaction.on_commit(lambda: _enqueue(event.pk))
    return True


def _enqueue(pk: int) -> None:
    from masthead.billing.tasks import handle_provider_event

    handle_provider_event.enqueue(pk)


def process(pk: int) -> bool:
    """Handle one stored event unless it was handled already; returns True when it is (now) handled."""
    from masthead.billing import handlers
    from masthead.billing.models import ProviderEvent

    with transaction.atomic():
        event = ProviderEvent.objects.select_for_update().filter(pk=pk, processed_at__isnull=True).first()
        if event is None:
            return True  # handled already, by another worker or an earlier delivery
        try:
            with transaction.atomic():
                handlers.handle(event)
        except Exception as exc:  # one bad event must not stop the others; it is kept with its error
            logger.exception("billing: handling %s failed", event)
            event.attempts += 1
            event.error = f"{type(exc).__name__}: {exc}"
            event.save(update_fields=["attempts", "error"])
            return False
        event.processed_at = clock.now()
        event.attempts += 1
        event.error = ""
        event.save(update_fields=["processed_at", "attempts", "error"])
        return True


def pending(limit: int = 100) -> list[int]:
    """Events not yet handled that may be retried, oldest first."""
    from masthead.billing.models import ProviderEvent

    return list(
        ProviderEvent.objects.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
