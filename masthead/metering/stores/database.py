"""The database meter store: one row per reader and window.

The row holds the window's reads as ``article_id:epoch_seconds`` pairs. One
short row per reader-window keeps storage small (see docs/metering.md for the
bytes) and keeps ``consume`` to one read and at most one write.

``consume`` is a compare-and-set rather than a locked read-modify-write: it
reads the row with a plain SELECT, applies ``decision.meter_step`` in Python,
and writes with a statement that only succeeds if the row is still exactly as
read (``UPDATE ... WHERE entries = <what we read>``, or ``INSERT ... ON
CONFLICT DO NOTHING`` for a new window). If another request got there first,
the write changes no row and ``consume`` starts again from the new state. So
two requests can never both count an article against the same state: the
limit holds across threads and processes, on SQLite (whose writes are
serialised by its write lock) and on PostgreSQL (whose UPDATE re-checks the
WHERE clause against the latest row version after waiting for a concurrent
writer). Each statement runs on its own in autocommit, so there is no
transaction to open, no savepoint and no lock held between the two
statements; a re-read or a full window costs one SELECT, and the first read of
a reader the caller has just minted (``new_reader``) one INSERT, with no
SELECT before it. On PostgreSQL a
calendar window's consume is one statement, an upsert that counts under the
row's lock (``_count_in_one``), which saves a round trip.

Durability: on PostgreSQL, a meter write outside any transaction commits
asynchronously (``synchronous_commit`` off for that statement only): the
request does not wait for the WAL to reach the disk. Atomicity, isolation and
the limit are unchanged; a crash of the database server (not of a web process)
can lose the last fraction of a second of counted reads, so a few readers may
get one article again. That is the same trade the Redis store makes, and an
accepted one for a meter. Writes inside a caller's transaction are left to
that transaction's own setting. Set ``asynchronous_commit = False`` to wait.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import threading

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from masthead.metering.decision import MeterState, meter_step
from masthead.metering.stores.base import MeterStore, expiry
from masthead.metering.windows import Window

# SQLite takes one writer at a time, and a writer that finds the database locked sleeps in
# steps of milliseconds (1, 2, 5, 10 ...) before trying again, however soon the lock is free:
# with two web processes each writing once per metered page, those sleeps, not the writes,
# set the pace. So the meter's writes (and the decision log's) queue instead: the threads of
# one process on ``sqlite_writes``, then the processes on an advisory lock on a file beside
# the database (``flock``), which the kernel hands to the next waiter the moment it is
# released. Other writers (the ORM) still meet SQLite's own wait, as before.
sqlite_writes = threading.Lock()


class _WriteQueue:
    """The queue for autocommit writes on SQLite: this process's threads, then the processes."""

    def __init__(self):
        self._files: dict[tuple[int, str], int | None] = {}  # (pid, database) -> lock file descriptor
        self._opening = threading.Lock()

    def _lock_file(self, db) -> int | None:
        """This process's descriptor for the database's lock file; None for an in-memory database.

        Opened once per process: ``flock`` excludes open files, not processes, so a descriptor
        inherited across a fork would let parent and child hold the lock together.
        """
        name = str(db.settings_dict["NAME"])
        key = (os.getpid(), name)
        descriptor = self._files.get(key, -1)
        if descriptor == -1:
            with self._opening:
                descriptor = self._files.get(key, -1)
                if descriptor == -1:
                    descriptor = None
                    if not db.is_in_memory_db():
                        try:
                            descriptor = os.open(f"{name}-write-queue", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                        except OSError:  # a read-only directory: SQLite's own wait still applies
                            descriptor = None
                    self._files[key] = descriptor
        return descriptor

    def turn(self, db) -> _Turn:
        return _Turn(self._lock_file(db))


class _Turn:
    """One write's turn in the queue, held for the ``with`` block.

    A context manager written out as a class (not a generator): it wraps every meter write,
    and a generator-based one costs more than the two ``flock`` calls it makes.
    """

    __slots__ = ("_descriptor",)

    def __init__(self, descriptor: int | None):
        self._descriptor = descriptor

    def __enter__(self):
        sqlite_writes.acquire()
        try:
            if self._descriptor is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            sqlite_writes.release()
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            if self._descriptor is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            sqlite_writes.release()
        return False


_queue = _WriteQueue()
_no_turn = contextlib.nullcontext()


def write_turn(db=None):
    """The queue for a write on its own: ``sqlite_writes`` and the lock file on SQLite, else nothing.

    ``db``: the connection, when the caller has it at hand (``django.db.connection`` otherwise).
    Inside a transaction, never: that thread may already hold SQLite's lock (IMMEDIATE), and
    waiting here for a thread that waits for SQLite would stall both until the busy timeout.
    """
    db = connections[DEFAULT_DB_ALIAS] if db is None else db
    if db.vendor == "sqlite" and db.get_autocommit():
        return _queue.turn(db)
    return _no_turn


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


class _Statements:
    """The store's SQL for one database vendor, built once from the model's own table and columns."""

    def __init__(self, ops, vendor: str, *, qmark: bool = False):
        from masthead.metering.models import MeterWindow

        meta = MeterWindow._meta
        table = ops.quote_name(meta.db_table)
        reader, window, entries, expires = (
            ops.quote_name(meta.get_field(name).column)
            for name in ("reader_key", "window_key", "entries", "expires_at")
        )
        where = f"{reader} = %s AND {window} = %s"
        # Table and column names come from the model, never from input.
        self.select = f"SELECT {entries} FROM {table} WHERE {where}"  # noqa: S608
        self.select_for_update = self.select + (" FOR UPDATE" if vendor == "postgresql" else "")
        # For a merge: the expiry only ever moves later.
        self.overwrite = (
            f"UPDATE {table} SET {entries} = %s, "  # noqa: S608
            f"{expires} = CASE WHEN {expires} < %s THEN %s ELSE {expires} END WHERE {where}"
        )
        # The compare-and-set, keyed by (sets the expiry, commits asynchronously). A calendar
        # window's expiry is its end, written with the row, so its updates leave the column
        # (and its index) alone; a rolling window's moves with every read.
        #
        # The asynchronous forms (PostgreSQL): set_config(..., true) lasts for the statement's
        # own implicit transaction, and the commit at its end reads it. Joined to a one-row
        # subquery so it is evaluated once, before the write.
        unsynced = "(SELECT set_config('synchronous_commit', 'off', true)) AS unsynced"
        columns = f"{reader}, {window}, {entries}, {expires}"
        conflict = f"ON CONFLICT ({reader}, {window}) DO NOTHING"
        self.insert = {False: f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s) {conflict}"}  # noqa: S608
        self.update = {}
        for sets_expiry in (False, True):
            assign = f"{entries} = %s" + (f", {expires} = %s" if sets_expiry else "")
            self.update[sets_expiry, False] = f"UPDATE {table} SET {assign} WHERE {where} AND {entries} = %s"  # noqa: S608
            if vendor == "postgresql":
                self.update[sets_expiry, True] = (
                    f"UPDATE {table} SET {assign} FROM {unsynced} WHERE {where} AND {entries} = %s"  # noqa: S608
                )
        if vendor == "postgresql":
            self.insert[True] = f"INSERT INTO {table} ({columns}) SELECT %s, %s, %s, %s FROM {unsynced} {conflict}"  # noqa: S608
        if qmark:
            # Placeholders in SQLite's own style, for the bare connection's cursor (``_cursor``).
            self.select = self.select_for_update = self.select.replace("%s", "?")
            self.overwrite = self.overwrite.replace("%s", "?")
            self.insert = {key: statement.replace("%s", "?") for key, statement in self.insert.items()}
            self.update = {key: statement.replace("%s", "?") for key, statement in self.update.items()}
        self.asynchronous = vendor == "postgresql"
        self.count = self.count_unsynced = None
        if vendor == "postgresql":
            # The whole consume of a calendar window in one statement and one round trip. The
            # upsert appends the article only if it is not in the row already and the row holds
            # fewer than the limit, judged on the latest row version under its lock (ON
            # CONFLICT's rule in READ COMMITTED); it returns the new entries when it counted
            # the article. ``prior`` is the row as the statement's snapshot saw it, which tells
            # a re-read from a full window when nothing was counted.
            size = f"CASE WHEN {table}.{entries} = '' THEN 0 ELSE length({table}.{entries}) - length(replace({table}.{entries}, ',', '')) + 1 END"  # noqa: E501
            for unsynced_form in (False, True):
                source = "VALUES (%s, %s, %s, %s)"
                if unsynced_form:
                    source = f"SELECT %s, %s, %s, %s FROM {unsynced}"  # noqa: S608
                statement = (
                    f"WITH prior AS (SELECT {entries} FROM {table} WHERE {where}), "  # noqa: S608
                    f"counted AS (INSERT INTO {table} ({columns}) {source} "
                    f"ON CONFLICT ({reader}, {window}) DO UPDATE SET {entries} = CASE WHEN {table}.{entries} = '' "
                    f"THEN EXCLUDED.{entries} ELSE {table}.{entries} || ',' || EXCLUDED.{entries} END "
                    f"WHERE strpos(',' || {table}.{entries}, %s) = 0 AND {size} < %s RETURNING {entries}) "
                    f"SELECT (SELECT {entries} FROM counted), (SELECT {entries} FROM prior)"
                )
                if unsynced_form:
                    self.count_unsynced = statement
                else:
                    self.count = statement


class _BareCursor:
    """The SQLite connection's own cursor, closed on exit, its errors raised as Django's."""

    __slots__ = ("_cursor", "_errors")

    def __init__(self, wrapper):
        self._errors = wrapper.wrap_database_errors
        self._cursor = wrapper.connection.cursor()

    def __enter__(self):
        self._errors.__enter__()
        return self._cursor

    def __exit__(self, kind, value, traceback):
        self._cursor.close()
        return self._errors.__exit__(kind, value, traceback)


class DatabaseMeterStore(MeterStore):
    asynchronous_commit = True  # PostgreSQL only; see the module docstring

    def __init__(self):
        self._sql: dict[tuple[str, bool], _Statements] = {}
        self._expiry_values: dict[tuple[str, dt.datetime], object] = {}

    # The store's methods look the connection up once (``db``): each attribute read through
    # ``django.db.connection`` is a lookup of its own, and a consume made over a dozen.

    def _statements(self, db, bare: bool = False) -> _Statements:
        """The store's statements for this connection; ``bare``: for ``_cursor``'s bare SQLite cursor."""
        key = (db.vendor, bare)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = _Statements(db.ops, db.vendor, qmark=bare)
        return sql

    @staticmethod
    def _bare(db) -> bool:
        """True when ``_cursor`` hands out the bare SQLite cursor (nothing logs or wraps queries)."""
        return db.vendor == "sqlite" and not (db.queries_logged or db.execute_wrappers)

    def _expires(self, db, window: Window, now: dt.datetime):
        """``expiry(window, now)`` as the database driver takes it (memoised for calendar windows)."""
        if window.ends is None:
            return db.ops.adapt_datetimefield_value(expiry(window, now))
        key = (db.vendor, window.ends)
        value = self._expiry_values.get(key)
        if value is None:
            if len(self._expiry_values) > 64:
                self._expiry_values.clear()
            value = self._expiry_values[key] = db.ops.adapt_datetimefield_value(window.ends)
        return value

    def _cursor(self, db, bare: bool):
        """A cursor for the store's statements.

        On SQLite, the bare connection's cursor, unless queries are being logged or
        wrapped (``DEBUG``, a test counting queries, an ``execute_wrapper``), when it is
        Django's, so those still see every statement. Django's wrapper costs more than
        SQLite itself takes to answer one of these statements. Errors are still
        Django's database errors.

        On PostgreSQL it binds parameters on the server, so that, where the connection allows
        prepared statements (``?prepare_threshold=5`` in ``DATABASE_URL``), the store's few
        statements are parsed and planned once per connection instead of on every call.
        Django's own cursors bind on the client and are never prepared, so the option changes
        nothing else.
        """
        if bare:
            db.ensure_connection()
            db.validate_thread_sharing()
            return _BareCursor(db)
        if db.vendor != "postgresql":
            return db.cursor()
        from django.db.backends.postgresql.base import ServerBindingCursor

        db.close_if_health_check_failed()
        db.ensure_connection()
        db.validate_thread_sharing()
        raw = ServerBindingCursor(db.connection)
        return db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)

    def consume(self, reader, window, article_id, limit, now, *, new_reader=False):
        db = connections[DEFAULT_DB_ALIAS]
        bare = self._bare(db)
        sql = self._statements(db, bare)
        # Outside a transaction each statement commits by itself; inside one, the caller's
        # transaction decides durability, so the asynchronous forms are not used.
        unsynced = self.asynchronous_commit and sql.asynchronous and db.get_autocommit()
        insert = sql.insert[unsynced]
        rolling = window.ends is None
        update = sql.update[rolling, unsynced]
        key = (reader, window.key)
        with self._cursor(db, bare) as cursor:
            if sql.count is not None and not rolling and limit > 0:
                state = self._count_in_one(db, cursor, sql, unsynced, reader, window, article_id, limit, now)
                if state is not None:
                    return state
            # A reader minted by this request has no row: its first read is the INSERT alone,
            # with no SELECT before it. Should a row exist after all, the INSERT changes
            # nothing and the compare-and-set below takes over, as for any reader.
            first = new_reader and limit > 0
            # Each pass either settles the request or finds that another request changed the
            # window since it was read; a window only takes a bounded number of changes (at
            # most ``limit`` counted articles), so the passes are bounded too.
            while True:
                if first:
                    row, first = None, False
                else:
                    cursor.execute(sql.select, key)
                    row = cursor.fetchone()
                if row is None:
                    if limit <= 0:
                        return MeterState(used=0, already_read=False)
                    # A reader's first article in this window: one INSERT.
                    entries = f"{article_id}:{int(now.timestamp())}"
                    with write_turn(db):
                        cursor.execute(insert, (reader, window.key, entries, self._expires(db, window, now)))
                    if cursor.rowcount == 1:
                        return MeterState(used=0, already_read=False)
                    continue  # the row exists: created by a concurrent request, or not new after all
                stored = row[0]
                reads = parse(stored)
                live = _live(reads, window)
                state = MeterState(used=len(live), already_read=article_id in live)
                granted, _ = meter_step(state.used, state.already_read, limit)
                if granted and not state.already_read:
                    live[article_id] = int(now.timestamp())
                if live == reads:
                    return state  # a re-read or a full window: nothing to write
                values = (dump(live), self._expires(db, window, now)) if rolling else (dump(live),)
                with write_turn(db):
                    cursor.execute(update, (*values, reader, window.key, stored))
                if cursor.rowcount == 1:
                    return state

    def _count_in_one(self, db, cursor, sql, unsynced, reader, window, article_id, limit, now) -> MeterState | None:
        """PostgreSQL, a calendar window: the consume in one statement; None when it must be retried.

        When nothing was counted, the latest row holds the article or is full, and both stay
        true for the rest of a calendar window (its reads are only ever added), so the snapshot's
        row reports the state, unless it is older than what the upsert saw (a concurrent write
        in between): then the caller starts again with the compare-and-set.
        """
        when = int(now.timestamp())
        params = (reader, window.key, reader, window.key, f"{article_id}:{when}", self._expires(db, window, now))
        cursor.execute(sql.count_unsynced if unsynced else sql.count, (*params, f",{article_id}:", limit))
        counted, prior = cursor.fetchone()
        if counted is not None:
            # Appended after every read already there (none for a new row): one comma for each.
            return MeterState(used=counted.count(","), already_read=False)
        if prior is None:
            return None  # created by a concurrent request after this statement's snapshot
        reads = parse(prior)
        if article_id in reads:
            return MeterState(used=len(reads), already_read=True)
        if len(reads) >= limit:
            return MeterState(used=len(reads), already_read=False)
        return None

    def peek(self, reader, window, now):
        db = connections[DEFAULT_DB_ALIAS]
        bare = self._bare(db)
        sql = self._statements(db, bare)
        with self._cursor(db, bare) as cursor:
            cursor.execute(sql.select, (reader, window.key))
            row = cursor.fetchone()
        return frozenset(_live(parse(row[0]), window)) if row else frozenset()

    def _locked(self, db, cursor, sql: _Statements, reader: str, window: Window, now: dt.datetime) -> str:
        """The row's entries, the row locked (created empty when missing) until the transaction ends."""
        # SELECT ... FOR UPDATE serialises writers of one row on PostgreSQL. On SQLite, masthead
        # opens every transaction IMMEDIATE, which takes the database's write lock at BEGIN.
        cursor.execute(sql.select_for_update, (reader, window.key))
        row = cursor.fetchone()
        if row is None:
            cursor.execute(sql.insert[False], (reader, window.key, "", self._expires(db, window, now)))
            cursor.execute(sql.select_for_update, (reader, window.key))
            row = cursor.fetchone()
        return row[0]

    def merge(self, source, source_window, target, target_window, now):
        db = connections[DEFAULT_DB_ALIAS]
        sql = self._statements(db)
        # Rare (once per login), so a plain locked transaction: concurrent consumes of the
        # target see either the old entries or the merged ones, and their compare-and-set
        # fails and retries if the merge landed between their read and their write.
        with transaction.atomic(), db.cursor() as cursor:
            target_entries = self._locked(db, cursor, sql, target, target_window, now)
            cursor.execute(sql.select, (source, source_window.key))
            source_row = cursor.fetchone()
            reads = _live(parse(target_entries), target_window)
            if source_row is not None:
                start = int(target_window.starts.timestamp())
                end = int(target_window.ends.timestamp()) if target_window.ends else None
                for article, when in _live(parse(source_row[0]), source_window).items():
                    if when >= start and (end is None or when < end):
                        reads[article] = min(when, reads.get(article, when))
                expires = self._expires(db, target_window, now)
                cursor.execute(sql.overwrite, (dump(reads), expires, expires, target, target_window.key))
            return len(reads)

    def prune(self, now):
        from masthead.metering.models import MeterWindow

        deleted, _ = MeterWindow.objects.filter(expires_at__lte=now).delete()
        return deleted

    def forget(self, reader):
        from masthead.metering.models import MeterWindow

        MeterWindow.objects.filter(reader_key=reader).delete()
