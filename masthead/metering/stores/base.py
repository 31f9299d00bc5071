"""The meter store contract.

A store keeps, per reader and window, the set of metered articles counted and
when each was read. Its one hot operation is ``consume``: in a single atomic
step it reports the window's state and applies ``decision.meter_step``: a
re-read changes nothing, a new article is added only while the window holds
fewer than ``limit``. Concurrent requests for one reader are serialised by
that atomicity, so they can never unlock more than the limit between them.
"""

from __future__ import annotations

import datetime as dt

from masthead.metering.decision import MeterState
from masthead.metering.windows import Window


def expiry(window: Window, now: dt.datetime) -> dt.datetime:
    """When a stored window may be forgotten: its end, or for a rolling window, one length from now."""
    if window.ends is not None:
        return window.ends
    return now + (now - window.starts)


class MeterStore:
    def consume(
        self,
        reader: str,
        window: Window,
        article_id: int,
        limit: int,
        now: dt.datetime,
        *,
        new_reader: bool = False,
    ) -> MeterState:
        """Atomically: report the window before this view, and count ``article_id`` if the rule allows.

        ``new_reader`` is a hint from a caller that has just minted ``reader`` (so it can have
        no window yet): a store may then write without reading first. The answer must be the
        same when the hint is wrong.
        """
        raise NotImplementedError

    def peek(self, reader: str, window: Window, now: dt.datetime) -> frozenset[int]:
        """The articles counted in the window (read-only; nothing is recorded)."""
        raise NotImplementedError

    def merge(self, source: str, source_window: Window, target: str, target_window: Window, now: dt.datetime) -> int:
        """Add the source's reads that fall inside the target's window to the target's window.

        Used when an anonymous reader logs in: the account keeps the union, so
        its count never goes down and logging out and in again gains nothing.
        The source is left as it was. Returns the target's count afterwards.
        """
        raise NotImplementedError

    def prune(self, now: dt.datetime) -> int:
        """Forget expired windows; returns how many were removed (stores with TTLs may return 0)."""
        raise NotImplementedError

    def forget(self, reader: str) -> None:
        """Remove every window of ``reader`` (account deletion)."""
        raise NotImplementedError
