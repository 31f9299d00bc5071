"""Re-reads this process can answer without the store.

An article counted in a calendar window stays counted until the window ends:
its reads are only ever added to. So once this process has seen the store
count an article for a reader (or report it read), a later view of that
article by that reader in the same window is a re-read, free by the rules,
whatever has happened elsewhere since. ``Rereads`` remembers those articles,
per reader and window, for ``SECONDS``, and answers such a view from memory:
no look-up, no write.

What it cannot know is a count that grew in another process meanwhile (the
same reader reading in two tabs served by two workers): the re-read page then
shows the count as this process last saw it, at most ``SECONDS`` old. Nothing
is given away: the answer is only ever "already read", which the store would
give too. Rolling windows drop old reads, so they always ask the store.

Bounded: ``READERS`` reader-windows per process (about 500 bytes each), the
least recently used going first.
"""

from __future__ import annotations

import datetime as dt
import threading

from masthead.lib.lru import LRU
from masthead.metering.decision import MeterState, meter_state
from masthead.metering.windows import Window

READERS = 16_384
SECONDS = 120


class Rereads:
    def __init__(self, *, readers: int = READERS, seconds: int = SECONDS):
        self.seconds = seconds
        self._lock = threading.Lock()
        # (reader key, window key) -> (articles counted, count after the latest, when noted)
        self._seen: LRU[tuple[str, str], tuple[frozenset[int], int, dt.datetime]] = LRU(readers)

    def recall(self, reader_key: str, window: Window, article_id: int, now: dt.datetime) -> MeterState | None:
        """The state for a re-read of ``article_id``, when this process knows it was counted; else None."""
        if window.ends is None or now >= window.ends:
            return None
        with self._lock:
            seen = self._seen.get((reader_key, window.key))
        if seen is None or article_id not in seen[0] or (now - seen[2]).total_seconds() > self.seconds:
            return None
        return meter_state(seen[1], True)

    def note(self, reader_key: str, window: Window, article_id: int, used: int, now: dt.datetime) -> None:
        """Remember that the store has ``article_id`` in ``window`` for this reader, with ``used`` counted in all."""
        if window.ends is None:
            return
        key = (reader_key, window.key)
        with self._lock:
            seen = self._seen.get(key)
            articles = seen[0] | {article_id} if seen is not None else frozenset((article_id,))
            self._seen.put(key, (articles, used, now))

    def forget(self, reader_key: str | None = None) -> None:
        """Forget one reader (every window), or everyone."""
        with self._lock:
            if reader_key is None:
                self._seen.clear()
            else:
                self._seen.discard(lambda key: key[0] == reader_key)


rereads = Rereads()
