"""Stamps: small values in the shared cache that say which version of something is current.

The content generation, the meter rules' stamp and the offers' version are each
read on every anonymous page, and each read was a round trip to Redis. Each app
registers its stamp's key here; inside ``read_together()`` the first stamp read
fetches every registered stamp in one ``get_many``, and the rest of the block
answers from that. Outside the block, or for a stamp the cache did not hold, a
read goes to the cache as before (so a stamp made or bumped meanwhile is seen).

Reading the stamps together means reading them all at the first one's moment:
a page begun just before a publish is served as it stood then, as it would have
been had its request arrived a moment earlier.
"""

from __future__ import annotations

import contextvars

from django.core.cache import cache

_keys: list[str] = []

# Inside read_together(): a one-slot list, empty until the first read fetches the stamps.
_block: contextvars.ContextVar[list | None] = contextvars.ContextVar("masthead_stamps", default=None)


def register(key: str) -> str:
    """Name ``key`` as a stamp, read together with the others; returns it."""
    if key not in _keys:
        _keys.append(key)
    return key


class read_together:  # noqa: N801 - used as a function: ``with stamps.read_together():``
    """Within this block, the first stamp read fetches all of them at once.

    A class rather than a generator-based context manager: it runs on every anonymous page.
    """

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _block.set([])

    def __exit__(self, *exc_info) -> None:
        _block.reset(self._token)


def get(key: str):
    """The stamp under ``key``, or None when the cache holds none."""
    block = _block.get()
    if block is None or key not in _keys:
        return cache.get(key)
    if not block:
        block.append(cache.get_many(_keys))
    found = block[0].get(key)
    return found if found is not None else cache.get(key)
