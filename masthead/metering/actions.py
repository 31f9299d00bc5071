"""Meter mutations that are not part of serving a page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from masthead.metering.stores import get_store


@dataclass(frozen=True)
class Pruned:
    windows: int
    events: int


def meter_prune(*, now: dt.datetime) -> Pruned:
    """Forget expired meter windows and decision logs past their retention."""
    from masthead.metering.models import DecisionEvent

    windows = get_store().prune(now)
    cutoff = now - dt.timedelta(days=settings.METER_EVENT_RETENTION_DAYS)
    events, _ = DecisionEvent.objects.filter(at__lt=cutoff).delete()
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
