"""Recording decisions without slowing pages down.

Each web process buffers decision events in memory, as plain tuples. When the
buffer fills (``METER_EVENT_BATCH``) or grows old (``FLUSH_SECONDS``), the
request that noticed writes the batch when it finishes, after its response
has gone to the server (Django's ``request_finished``), with one prepared
multi-row insert in one transaction; outside a request (a command, a task) it
is written at once. With ``METER_EVENT_BATCH=1`` (tests) each event is written
at once by the request itself. A crash loses at most the unwritten buffer: an
accepted trade for an explanatory log, which is not a ledger.

Why not a writer thread: a thread writing beside the requests shares the
interpreter lock with them, and every time a request let go of it (a system
call, a hash, a database call) the writer took it and the request waited to
get it back. Measured on the metered page, that cost more than the writes.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import datetime as dt
import functools
import logging
import threading
import time
import zlib

from django.conf import settings
from django.core.signals import request_finished, request_started

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0

_lock = threading.Lock()
_buffer: list = []
_oldest = 0.0
_writing = threading.Lock()  # held while a batch is written
# In a request: a one-slot list, set when this request is to write the batch as it finishes.
_this_request: contextvars.ContextVar[list | None] = contextvars.ContextVar("meter_events_request", default=None)


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
    request = _this_request.get()
    if request is None or settings.METER_EVENT_BATCH == 1:
        flush()
    elif not request:
        request.append(True)


def _request_started(**kwargs) -> None:
    _this_request.set([])


def _request_finished(**kwargs) -> None:
    due = _this_request.get()
    _this_request.set(None)
    if due:
        flush()


# Plumbing only: the batch a request filled is written as it finishes.
request_started.connect(_request_started, dispatch_uid="masthead.metering.events.request_started")
request_finished.connect(_request_finished, dispatch_uid="masthead.metering.events.request_finished")


# Readers' decision logs are indexed by bucket (a hash of the reader key), then time, then key.
# An index led by the random key itself takes each new row on a page of its own, which made
# logging a decision cost several times the rest of it; within a bucket, rows arrive in time
# order, so a batch lands on a few pages, about one per bucket. Looking a reader up reads their
# bucket's entries newest first: about 1/READER_BUCKETS of the log's index. Fewer buckets, fewer
# pages each batch rewrites: 8 write a row for about a sixth less than 32 did, and a look-up
# reads an eighth of the index (migration 0005 regrouped the rows; it relies on 8 dividing 32).
READER_BUCKETS = 8


def reader_bucket(reader_key: str) -> int:
    return zlib.crc32(reader_key.encode()) % READER_BUCKETS


# The DecisionEvent fields each buffered row holds, in order.
COLUMNS = (
    "reader_key",
    "reader_bucket",
    "account",
    "article_id",
    "allowed",
    "reason",
    "used",
    "limit",
    "rules_version",
    "at",
)


def record_decision(decision, *, reader_key: str, account_id: int | None, article_id: int, at) -> None:
    """Queue the log of one ``Decision``.

    A plain tuple, not a model instance: building a ``DecisionEvent`` costs more than the
    rest of a Redis decision, and the page never needs one.
    """
    record(
        (
            reader_key,
            reader_bucket(reader_key),
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


# Rows per INSERT: 10 parameters each stays under every SQLite's limit on parameters (999).
ROWS_PER_STATEMENT = 90


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
    """Write everything buffered, now; returns how many events were written."""
    with _writing:
        with _lock:
            pending = _buffer[:]
            _buffer.clear()
        if not pending:
            return 0
        try:
            _write(pending)
        except Exception:  # an explanatory log must never break a page
            logger.exception("could not write %d meter decision events", len(pending))
            return 0
        return len(pending)


def drain() -> int:
    """``flush``, having waited for a batch another thread is writing: afterwards, nothing recorded is in flight."""
    return flush()


def _write(rows: list[tuple]) -> None:
    """One multi-row INSERT per ``ROWS_PER_STATEMENT`` rows, all in one transaction.

    Outside a caller's transaction, on PostgreSQL, the batch commits without waiting for the
    disk (``synchronous_commit`` off for this transaction only): like the buffer itself, a
    database crash may lose the last moment of an explanatory log, never a meter count.
    """
    from django.db import connection, transaction

    from masthead.metering.stores.database import write_turn

    adapt = connection.ops.adapt_datetimefield_value
    if _utc_sqlite(connection):
        adapt = functools.partial(_sqlite_utc_text, adapt=adapt)
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


def _utc_sqlite(connection) -> bool:
    """True when Django writes datetimes to this connection as naive UTC text (SQLite, ``USE_TZ``, UTC)."""
    from django.conf import settings

    return connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC"


def _sqlite_utc_text(value: dt.datetime, adapt) -> str:
    """``value`` as Django's SQLite backend stores it under ``USE_TZ`` with UTC: naive UTC, as text.

    The decision times are aware UTC datetimes (``clock.now()``), and for those this is what
    ``adapt`` (Django's ``adapt_datetimefield_value``) returns, at a third of the cost: it runs
    for every logged row. Anything else goes through ``adapt``.
    """
    return value.replace(tzinfo=None).isoformat(" ") if value.tzinfo is dt.UTC else adapt(value)


def stop() -> None:
    """Write what is pending (tests, shutdown)."""
    flush()


def _flush_at_exit():
    try:
        flush()
    except Exception:  # the database may already be gone at interpreter exit
        logger.debug("meter events not flushed at exit", exc_info=True)


atexit.register(_flush_at_exit)
