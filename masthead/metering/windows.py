"""Meter windows: which window a moment falls in, and when it ends.

Pure date maths in the publication's time zone. Calendar windows start at
local midnight, so "this month" in Tokyo turns over at 00:00 JST on the 1st,
which is 15:00 UTC on the last day of the previous month. Across a DST change
a calendar day is 23 or 25 hours long; the window still starts and ends at
local midnight, computed by building the local wall-clock time and letting the
zone pick the offset (never by adding 24 hours).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from masthead.metering.rules import Allowance, WindowKind


@dataclass(frozen=True)
class Window:
    key: str  # stable name of this window, part of the store key
    starts: dt.datetime  # aware UTC; for a rolling window, the cutoff
    ends: dt.datetime | None  # aware UTC; None for a rolling window (it never "ends")

    def expires(self, now: dt.datetime, allowance: Allowance) -> dt.datetime:
        """When the stored record of this window may be thrown away."""
        if self.ends is not None:
            return self.ends
        return now + dt.timedelta(days=allowance.rolling_days)


def _local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    # Building the wall-clock time and converting lets the zone choose the right
    # offset for that date, including on DST-change days. (No zone in use moves
    # its clocks at midnight; if one did, fold=0 picks the earlier instant.)
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


# The calendar window each (allowance, zone) was last asked for. A window is valid for every
# moment between its start and its end, so a request inside it can reuse it: this saves the
# zone conversion and date maths on every metered page. A stale entry is never returned (the
# containment check below), and concurrent threads at worst compute the same window twice.
_recent: dict[tuple[Allowance, dt.tzinfo], Window] = {}
_RECENT_MAX = 256


def window_for(allowance: Allowance, now: dt.datetime, zone: dt.tzinfo) -> Window:
    """The window containing ``now`` (aware) for ``allowance``, in ``zone``."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    if allowance.window == WindowKind.ROLLING:
        return Window(
            key=f"r{allowance.rolling_days}", starts=now - dt.timedelta(days=allowance.rolling_days), ends=None
        )
    memo = (allowance, zone)
    window = _recent.get(memo)
    if window is not None and window.starts <= now < window.ends:
        return window
    window = _calendar_window(allowance, now, zone)
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[memo] = window
    return window


def _calendar_window(allowance: Allowance, now: dt.datetime, zone: dt.tzinfo) -> Window:
    today = now.astimezone(zone).date()
    if allowance.window == WindowKind.DAY:
        first, last = today, today + dt.timedelta(days=1)
        key = f"d{today:%Y%m%d}"
    elif allowance.window == WindowKind.WEEK:
        first = today - dt.timedelta(days=today.weekday())
        last = first + dt.timedelta(days=7)
        year, week, _ = first.isocalendar()
        key = f"w{year}{week:02d}"
    else:
        first = today.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1)
        key = f"m{first:%Y%m}"
    return Window(key=key, starts=_local_midnight(first, zone), ends=_local_midnight(last, zone))
