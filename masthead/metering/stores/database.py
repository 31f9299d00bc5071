"""The database meter store: one row per reader and window.

The row holds the window's reads as ``article_id:epoch_seconds`` pairs. One
short row per reader-window keeps ``consume`` to a locked read and at most one
write, and keeps storage small (see docs/metering.md for the bytes).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from masthead.metering.decision import MeterState, meter_step
from masthead.metering.stores.base import MeterStore, expiry
from masthead.metering.windows import Window


def parse(entries: str) -> dict[int, int]:
    reads = {}
    for pair in filter(None, entries.split(",")):
        article, _, when = pair.partition(":")
        reads[int(article)] = int(when)
    return reads


def dump(reads: dict[int, int]) -> str:
    return ",".join(f"{article}:{when}" for article, when in reads.items())


def _live(reads: dict[int, int], window: Window) -> dict[int, int]:
    """Drop reads from before a rolling window's cutoff (calendar windows have their own row)."""
    if window.ends is not None:
        return dict(reads)
    cutoff = int(window.starts.timestamp())
    return {article: when for article, when in reads.items() if when >= cutoff}


class DatabaseMeterStore(MeterStore):
    def _locked(self, reader: str, window: Window, now: dt.datetime):
        from masthead.metering.models import MeterWindow

        # SELECT ... FOR UPDATE serialises concurrent consumes for one reader on
        # PostgreSQL. On SQLite, masthead opens every transaction IMMEDIATE, which
        # takes the database's write lock at BEGIN and serialises the same way.
        rows = MeterWindow.objects.select_for_update()
        row = rows.filter(reader_key=reader, window_key=window.key).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = MeterWindow.objects.create(
                        reader_key=reader, window_key=window.key, entries="", expires_at=expiry(window, now)
                    )
            except IntegrityError:
                # Another request created it between our read and our insert.
                row = rows.get(reader_key=reader, window_key=window.key)
        return row

    def consume(self, reader, window, article_id, limit, now):
        from masthead.metering.models import MeterWindow

        with transaction.atomic():
            row = MeterWindow.objects.select_for_update().filter(reader_key=reader, window_key=window.key).first()
            if row is None:
                # A reader's first article in this window: one INSERT, no lock to take.
                if limit <= 0:
                    return MeterState(used=0, already_read=False)
                try:
                    with transaction.atomic():
                        MeterWindow.objects.create(
                            reader_key=reader,
                            window_key=window.key,
                            entries=dump({article_id: int(now.timestamp())}),
                            expires_at=expiry(window, now),
                        )
                    return MeterState(used=0, already_read=False)
                except IntegrityError:
                    # A concurrent request created the row first: take its lock and go on as usual.
                    row = self._locked(reader, window, now)
            stored = parse(row.entries)
            reads = _live(stored, window)
            state = MeterState(used=len(reads), already_read=article_id in reads)
            granted, _ = meter_step(state.used, state.already_read, limit)
            if granted and not state.already_read:
                reads[article_id] = int(now.timestamp())
            if reads != stored:
                row.entries = dump(reads)
                row.expires_at = expiry(window, now)
                row.save(update_fields=["entries", "expires_at"])
            return state

    def peek(self, reader, window, now):
        from masthead.metering.models import MeterWindow

        row = MeterWindow.objects.filter(reader_key=reader, window_key=window.key).first()
        return frozenset(_live(parse(row.entries), window)) if row else frozenset()

    def merge(self, source, source_window, target, target_window, now):
        from masthead.metering.models import MeterWindow

        with transaction.atomic():
            target_row = self._locked(target, target_window, now)
            source_row = MeterWindow.objects.filter(reader_key=source, window_key=source_window.key).first()
            reads = _live(parse(target_row.entries), target_window)
            if source_row is not None:
                start = int(target_window.starts.timestamp())
                end = int(target_window.ends.timestamp()) if target_window.ends else None
                for article, when in _live(parse(source_row.entries), source_window).items():
                    if when >= start and (end is None or when < end):
                        reads[article] = min(when, reads.get(article, when))
                target_row.entries = dump(reads)
                target_row.expires_at = max(target_row.expires_at, expiry(target_window, now))
                target_row.save(update_fields=["entries", "expires_at"])
            return len(reads)

    def prune(self, now):
        from masthead.metering.models import MeterWindow

        deleted, _ = MeterWindow.objects.filter(expires_at__lte=now).delete()
        return deleted

    def forget(self, reader):
        from masthead.metering.models import MeterWindow

        MeterWindow.objects.filter(reader_key=reader).delete()
