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
