"""Opaque cursors for article listings, ordered newest first by published time, then id.

A cursor is the (published time, id) of the last article on a page, encoded
so clients treat it as opaque. Ties on the published time are broken by id,
so a page boundary never skips or repeats an article even when many were
published in the same instant.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.db.models import Q


class BadCursor(ValueError):
    pass


def encode(published_at: dt.datetime, pk: int) -> str:
    raw = json.dumps([published_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str) -> tuple[dt.datetime, int]:
    """The (published time, id) a cursor names; raises BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        published_at = dt.datetime.fromisoformat(stamp)
        # In UTC, as every cursor we give out is: a time near the ends of the calendar with a far
        # offset ("9999-12-31T23:00-23:00") cannot be converted, and the database would refuse it.
        published_at = published_at.astimezone(dt.UTC) if published_at.tzinfo is not None else None
    except (ValueError, TypeError, OverflowError):
        raise BadCursor(cursor) from None
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63 or published_at is None:
        raise BadCursor(cursor)
    return published_at, pk


def after(cursor: str) -> Q:
    """The articles that come after ``cursor`` in newest-first order."""
    published_at, pk = decode(cursor)
    return Q(first_published_at__lt=published_at) | Q(first_published_at=published_at, pk__lt=pk)
