"""Pure newsletter rules: when the next digest is due, and who may receive a newsletter. No ORM, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

SUBSCRIBERS = "subscribers"


def may_receive(audience: str, *, entitled: bool) -> bool:
    """Whether a reader may sign up to (and be sent) a newsletter with ``audience``.

    ``entitled`` is the reader's billing standing: whether they may read everything right now.
    """
    return audience != SUBSCRIBERS or entitled


def next_digest_at(after: dt.datetime, *, at: dt.time, weekdays: Collection[int], zone: dt.tzinfo) -> dt.datetime:
    """The first digest moment strictly after ``after``, in UTC.

    A digest is due at wall-clock ``at`` in ``zone`` on each of ``weekdays`` (Monday 0 … Sunday 6).

    DST, CAREFULLY: a wall-clock time does not map to exactly one instant twice a year.
    - In the spring gap (02:30 on a night the clocks jump from 02:00 to 03:00) the time never happens. Python
      reads a missing local time with the offset from before the jump (fold=0), which lands the same number of
      minutes past the jump: 03:30 local. The digest goes out then, once, rather than being skipped that day.
    - In the autumn overlap (01:30 happens twice) the first of the two is the one (fold=0), so the digest goes
      once, not twice.
    Raises ``ValueError`` for a naive ``after`` or an empty ``weekdays``.
    """
    if after.tzinfo is None:
        raise ValueError("after must be aware")
    days = set(weekdays)
    if not days or not days <= set(range(7)):
        raise ValueError("weekdays must name at least one day, 0 to 6")
    local_day = after.astimezone(zone).date()
    # Start the day before: a spring-gap time read with fold=0 can land earlier in UTC than the naive day suggests.
    for offset in range(-1, 9):
        day = local_day + dt.timedelta(days=offset)
        if day.weekday() not in days:
            continue
        candidate = dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: some weekday falls within eight days")  # pragma: no cover
