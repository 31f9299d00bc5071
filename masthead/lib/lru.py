"""A bounded map that drops its least recently used entry first, for per-process memos.

Not locked: a memo shared by threads holds its own lock around these calls,
usually together with work of its own.

Why not a plain ``dict`` in insertion order, dropping ``next(iter(d))``: a
dict emptied from the front keeps the holes until it is resized, and finding
the first entry walks over them. Measured with 16,384 entries, that made each
drop cost about ten times the rest of an insert; ``OrderedDict`` drops and
moves entries in constant time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator


class LRU[K: Hashable, V]:
    def __init__(self, size: int):
        if size < 1:
            raise ValueError("an LRU holds at least one entry")
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The entry for ``key``, now the most recently used; None when there is none."""
        entries = self._entries
        try:
            entries.move_to_end(key)
        except KeyError:
            return None
        return entries[key]

    def put(self, key: K, value: V) -> None:
        """Set ``key``, the most recently used now, dropping the least recently used when full."""
        entries = self._entries
        if key in entries:
            entries.move_to_end(key)
        else:
            while len(entries) >= self.size:
                entries.popitem(last=False)
        entries[key] = value

    def discard(self, matches: Callable[[K], bool]) -> None:
        """Drop every entry whose key ``matches``."""
        for key in [key for key in self._entries if matches(key)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first."""
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
