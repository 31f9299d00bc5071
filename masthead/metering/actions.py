"""Meter mutations that are not part of serving a page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from masthead.metering.stores import get_store

# Decision logs deleted per statement by meter_prune.
PRUNE_CHUNK = 5_000


@dataclass(frozen=True)
class Pruned:
    windows: int
    events: int


def meter_prune(*, now: dt.datetime) -> Pruned:
    """Forget expired meter windows and decision logs past their retention."""
    from masthead.metering.models import DecisionEvent

    windows = get_store().prune(now)
    cutoff = now - dt.timedelta(days=settings.METER_EVENT_RETENTION_DAYS)
    events = 0
    # In chunks, each its own short write: a months-old log can hold millions of rows, which
    # one delete would load into memory at once (Django collects what it deletes) and hold
    # the database's write lock for while pages wait to count their reads.
    while ids := list(DecisionEvent.objects.older_than(cutoff).values_list("pk", flat=True)[:PRUNE_CHUNK]):
        removed, _ = DecisionEvent.objects.filter(pk__in=ids).delete()
        events += removed
    return Pruned(windows=windows, events=events)


def reader_meter_forget(*, reader_key: str) -> int:
    """Forget everything the meter keeps about one reader: their windows and their decision log.

    For a deleted account (``a:<id>``): nothing the meter kept may outlive it. Returns the
    decision events removed.
    """
    from masthead.metering import events as decision_log
    from masthead.metering.models import DecisionEvent
    from masthead.metering.rereads import rereads

    get_store().forget(reader_key)
    rereads.forget(reader_key)
    decision_log.drain()  # events still buffered or being written would otherwise land after the delete
    removed, _ = DecisionEvent.objects.for_reader(reader_key).delete()
    return removed
