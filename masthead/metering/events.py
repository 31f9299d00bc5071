"""Recording decisions without slowing pages down.

Each web process buffers decision events in memory and writes them with one
``bulk_create`` when the buffer fills or grows old. A crash loses at most the
unwritten buffer (``METER_EVENT_BATCH`` events or ``FLUSH_SECONDS`` of them):
an accepted trade for an explanatory log, which is not a ledger.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0

_lock = threading.Lock()
_buffer: list = []
_oldest = 0.0


def record(event) -> None:
    """Queue a ``DecisionEvent`` (unsaved) for writing."""
    global _oldest
    with _lock:
        if not _buffer:
            _oldest = time.monotonic()
        _buffer.append(event)
        due = len(_buffer) >= settings.METER_EVENT_BATCH or time.monotonic() - _oldest >= FLUSH_SECONDS
    if due:
        flush()


def record_decision(decision, *, reader_key: str, account_id: int | None, article_id: int, at) -> None:
    """Queue the log of one ``Decision``."""
    from masthead.metering.models import DecisionEvent

    record(
        DecisionEvent(
            reader_key=reader_key,
            account_id=account_id,
            article_id=article_id,
            allowed=decision.allowed,
            reason=decision.reason.value,
            used=decision.used,
            limit=decision.limit,
            rules_version=decision.rules_version,
            at=at,
        )
    )


def flush() -> int:
    """Write everything buffered; returns how many events were written."""
    from masthead.metering.models import DecisionEvent

    with _lock:
        pending = _buffer[:]
        _buffer.clear()
    if not pending:
        return 0
    try:
        DecisionEvent.objects.bulk_create(pending, batch_size=500)
    except Exception:  # an explanatory log must never break a page
        logger.exception("could not write %d meter decision events", len(pending))
        return 0
    return len(pending)


def _flush_at_exit():
    try:
        flush()
    except Exception:  # the database may already be gone at interpreter exit
        logger.debug("meter events not flushed at exit", exc_info=True)


atexit.register(_flush_at_exit)
