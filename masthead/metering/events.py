"""Recording decisions without slowing pages down.

Each web process buffers decision events in memory, as plain tuples. When the
buffer fills (``METER_EVENT_BATCH``) or grows old (``FLUSH_SECONDS``), the
request that noticed hands the batch to the process's log writer, a thread
that writes it with multi-row INSERTs on its own database connection; so no
request waits for the log's disk writes. With ``METER_EVENT_BATCH=1`` (tests)
each event is written at once by the request itself. A crash loses at most the
unwritten buffer and the batch being written: an accepted trade for an
explanatory log, which is not a ledger.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import queue
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0

_lock = threading.Lock()
_buffer: list = []
_oldest = 0.0
_batches: queue.SimpleQueue = queue.SimpleQueue()  # handed to the writer, not yet taken
_writing = threading.Lock()  # held by the writer while it writes a batch
_writer: threading.Thread | None = None


def record(row: tuple) -> None:
    """Queue one decision event, as a row of ``COLUMNS``, for writing."""
    global _oldest
    with _lock:
        if not _buffer:
            _oldest = time.monotonic()
        _buffer.append(row)
        due = len(_buffer) >= settings.METER_EVENT_BATCH or time.monotonic() - _oldest >= FLUSH_SECONDS
    if not due:
        return
    if settings.METER_EVENT_BATCH == 1:
        flush()
    else:
        _hand_over()


def _hand_over() -> None:
    """Pass what is buffered to the log writer, starting it if this process has none yet."""
    global _writer
    with _lock:
        if not _buffer:
            return
        _batches.put(_buffer[:])
        _buffer.clear()
        # A forked process inherits the variable but not the thread.
        if _writer is None or not _writer.is_alive():
            _writer = threading.Thread(target=_write_batches, name="meter-event-writer", daemon=True)
            _writer.start()


def _write_batches() -> None:
    from django.db import connection

    while True:
        batch = _batches.get()
        if batch is None:  # stop()
            connection.close()
            return
        with _writing:
            try:
                _write(batch)
            except Exception:  # the log must never take the process down; the next batch reconnects
                logger.exception("could not write %d meter decision events", len(batch))
                connection.close()


# The DecisionEvent fields each buffered row holds, in order.
COLUMNS = ("reader_key", "account", "article_id", "allowed", "reason", "used", "limit", "rules_version", "at")


def record_decision(decision, *, reader_key: str, account_id: int | None, article_id: int, at) -> None:
    """Queue the log of one ``Decision``.

    A plain tuple, not a model instance: building a ``DecisionEvent`` costs more than the
    rest of a Redis decision, and the page never needs one.
    """
    record(
        (
            reader_key,
            account_id,
            article_id,
            decision.allowed,
            decision.reason.value,
            decision.used,
            decision.limit,
            decision.rules_version,
            at,
        )
    )


# Rows per INSERT: 9 parameters each stays under every SQLite's limit on parameters.
ROWS_PER_STATEMENT = 100


@functools.cache
def _insert_sql(vendor: str, rows: int) -> str:
    from django.db import connection

    from masthead.metering.models import DecisionEvent

    meta = DecisionEvent._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in COLUMNS)
    table = connection.ops.quote_name(meta.db_table)
    values = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * rows)
    return f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 - the model's own names


def flush() -> int:
    """Write everything buffered or handed over and not yet taken, now; returns how many events were written."""
    with _lock:
        pending = _buffer[:]
        _buffer.clear()
    handed = []
    with contextlib.suppress(queue.Empty):
        while (batch := _batches.get_nowait()) is not None:
            handed += batch
        _batches.put(None)  # a stop() request: leave it for the writer
    pending = handed + pending
    if not pending:
        return 0
    try:
        _write(pending)
    except Exception:  # an explanatory log must never break a page
        logger.exception("could not write %d meter decision events", len(pending))
        return 0
    return len(pending)


def drain() -> int:
    """``flush``, then wait for a batch the log writer is writing now: afterwards, nothing recorded is in flight."""
    written = flush()
    with _writing:
        pass
    return written


def _write(rows: list[tuple]) -> None:
    """One multi-row INSERT per ``ROWS_PER_STATEMENT`` rows, all in one transaction.

    Outside a caller's transaction, on PostgreSQL, the batch commits without waiting for the
    disk (``synchronous_commit`` off for this transaction only): like the buffer itself, a
    database crash may lose the last moment of an explanatory log, never a meter count.
    """
    from django.db import connection, transaction

    from masthead.metering.stores.database import write_turn

    adapt = connection.ops.adapt_datetimefield_value
    # On SQLite, unless queries are being logged or wrapped, the rows go to the bare connection's
    # ``executemany``: one prepared statement stepped once per row, which costs a fraction of
    # Django's cursor turning a hundred-row statement's placeholders into SQLite's.
    bare = connection.vendor == "sqlite" and not (connection.queries_logged or connection.execute_wrappers)
    chunks = [rows[first : first + ROWS_PER_STATEMENT] for first in range(0, len(rows), ROWS_PER_STATEMENT)]
    own = connection.get_autocommit() and (bare or len(chunks) > 1 or connection.vendor == "postgresql")
    with write_turn(), transaction.atomic() if own else contextlib.nullcontext():
        if bare:
            with connection.wrap_database_errors:
                connection.connection.executemany(
                    _insert_sql(connection.vendor, 1).replace("%s", "?"),
                    [(*row[:-1], adapt(row[-1])) for row in rows],
                )
            return
        with connection.cursor() as cursor:
            if own and connection.vendor == "postgresql":
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for chunk in chunks:
                params = [value for row in chunk for value in (*row[:-1], adapt(row[-1]))]
                cursor.execute(_insert_sql(connection.vendor, len(chunk)), params)


def stop(timeout: float = 10.0) -> None:
    """Write what is pending and stop this process's log writer, closing its connection (tests, shutdown)."""
    global _writer
    flush()
    writer, _writer = _writer, None
    if writer is not None and writer.is_alive():
        _batches.put(None)
        writer.join(timeout)


def _flush_at_exit():
    try:
        flush()
        if _writing.acquire(timeout=5):  # let a batch being written finish
            _writing.release()
    except Exception:  # the database may already be gone at interpreter exit
        logger.debug("meter events not flushed at exit", exc_info=True)


atexit.register(_flush_at_exit)
