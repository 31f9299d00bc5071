"""The one place masthead asks what time it is.

Code that needs "now" takes a ``now`` argument where it is pure, and calls
``clock.now()`` at the edge. Tests freeze time with time-machine, which this
honours, or swap the clock with ``use()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

_source: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current time, aware and in UTC."""
    return _source()


def use(source: Callable[[], dt.datetime]) -> Callable[[], dt.datetime]:
    """Replace the time source; returns the previous one so callers can restore it."""
    global _source
    previous, _source = _source, source
    return previous
