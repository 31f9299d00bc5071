"""Concurrent requests for one reader never unlock more than the limit, on either store.

The issue: "50 concurrent requests for 50 different metered articles by one
reader at limit - 1 unlock exactly one, on each store, with PostgreSQL under
the database store." Every request waits at a barrier so they reach the store
together. On SQLite the database store relies on IMMEDIATE transactions (the
write lock is taken at BEGIN); on PostgreSQL (DATABASE_URL=postgres://...) on
the row lock, and on the unique constraint when the window's row is new.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid

import pytest
from django.db import connection, connections

from masthead.metering.decision import MeterState, meter_step
from masthead.metering.tests.conftest import NOW, month

REQUESTS = 50


def race(consume, count=REQUESTS, barrier=None) -> list[MeterState]:
    """Run ``consume(i)`` for i in 0..count-1 on as many threads, released together; the states, in order.

    ``barrier`` (a multiprocessing one) lets threads in several processes start together.
    """
    barrier = barrier or threading.Barrier(count)
    states: list[MeterState | None] = [None] * count
    errors: list[BaseException] = []

    def request(i):
        try:
            barrier.wait(timeout=150)
            states[i] = consume(i)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            close_this_threads_connections()

    threads = [threading.Thread(target=request, args=(i,), name=f"request-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    if errors:
        raise AssertionError(f"{len(errors)} of {count} requests failed, the first with {errors[0]!r}") from errors[0]
    return states


def close_this_threads_connections():
    """Close the connections this thread opened, so the test database can be flushed and dropped."""
    for database in connections.all(initialized_only=True):
        if database.vendor == "sqlite" and database.is_in_memory_db() and database.connection is not None:
            # Django ignores close() on an in-memory database (closing the last connection would
            # destroy it); the test thread's own connection keeps it alive, so close ours directly.
            database.connection.close()
            database.connection = None
    connections.close_all()


def new_articles_unlocked(states, limit) -> int:
    return sum(1 for s in states if not s.already_read and meter_step(s.used, s.already_read, limit)[0])


def at_limit_minus_one(store, limit=5):
    reader = f"c:{uuid.uuid4()}"
    for article in range(1, limit):
        store.consume(reader, month(), article, limit, NOW)
    return reader


def check_one_of_fifty_new_articles(store):
    reader = at_limit_minus_one(store, limit=5)

    states = race(lambda i: store.consume(reader, month(), 100 + i, 5, NOW))

    assert new_articles_unlocked(states, 5) == 1
    assert sorted(s.used for s in states) == [4] + [5] * (REQUESTS - 1)
    counted = store.peek(reader, month(), NOW)
    assert len(counted) == 5
    assert counted >= {1, 2, 3, 4}


def check_one_of_fifty_for_a_new_window(store):
    reader = f"c:{uuid.uuid4()}"

    states = race(lambda i: store.consume(reader, month(), 100 + i, 1, NOW))

    assert new_articles_unlocked(states, 1) == 1
    assert sorted(s.used for s in states) == [0] + [1] * (REQUESTS - 1)
    assert len(store.peek(reader, month(), NOW)) == 1


def check_one_article_fifty_times_for_a_new_window(store):
    reader = f"c:{uuid.uuid4()}"

    states = race(lambda i: store.consume(reader, month(), 7, 1, NOW))

    assert states.count(MeterState(used=0, already_read=False)) == 1
    assert states.count(MeterState(used=1, already_read=True)) == REQUESTS - 1
    assert store.peek(reader, month(), NOW) == {7}


# --- the database store ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_unlocks_one_of_fifty_concurrent_new_articles_at_limit_minus_one_on_the_database(database_store):
    check_one_of_fifty_new_articles(database_store)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_unlocks_one_of_fifty_concurrent_articles_while_creating_the_database_window(database_store):
    check_one_of_fifty_for_a_new_window(database_store)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_counts_one_article_requested_fifty_times_at_once_on_the_database(database_store):
    check_one_article_fifty_times_for_a_new_window(database_store)


# --- the Redis store ---------------------------------------------------------------------


def test_it_unlocks_one_of_fifty_concurrent_new_articles_at_limit_minus_one_on_redis(redis_store):
    check_one_of_fifty_new_articles(redis_store)


def test_it_unlocks_one_of_fifty_concurrent_articles_while_creating_the_redis_window(redis_store):
    check_one_of_fifty_for_a_new_window(redis_store)


def test_it_counts_one_article_requested_fifty_times_at_once_on_redis(redis_store):
    check_one_article_fifty_times_for_a_new_window(redis_store)


# --- the database store, from several processes (PostgreSQL) -------------------------------

# Each process is a separate interpreter with its own connections, as separate app servers would be.
# Five keep the start-up cost (a Django import each) reasonable; they share the 50 requests.
PROCESSES = 5


def _consume_in_a_process(database_name, reader, window, articles, limit, barrier, results):
    """A separate interpreter, as another app server would be, requesting ``articles`` at once on threads."""
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
        import django
        from django.conf import settings

        # Point this interpreter at the test database before anything connects.
        settings.DATABASES["default"]["NAME"] = database_name
        django.setup()
        from masthead.metering.stores.database import DatabaseMeterStore

        store = DatabaseMeterStore()
        states = race(
            lambda i: store.consume(reader, window, articles[i], limit, NOW), count=len(articles), barrier=barrier
        )
        results.put([(s.used, s.already_read) for s in states])
    except BaseException as exc:  # the parent reports it
        barrier.abort()  # release the other processes' requests rather than leave them waiting
        results.put(repr(exc))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_unlocks_one_of_fifty_requests_from_five_processes_on_postgresql(database_store):
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL's row locks across processes; this run uses {connection.vendor}")
    reader = at_limit_minus_one(database_store, limit=5)
    spawn = multiprocessing.get_context("spawn")  # fork would copy a threaded parent's locks and connections
    barrier, results = spawn.Barrier(REQUESTS), spawn.Queue()
    each = REQUESTS // PROCESSES
    processes = [
        spawn.Process(
            target=_consume_in_a_process,
            args=(
                connection.settings_dict["NAME"],
                reader,
                month(),
                [100 + p * each + i for i in range(each)],
                5,
                barrier,
                results,
            ),
        )
        for p in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=180) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert not failures, failures
    states = [MeterState(used, already_read) for outcome in outcomes for used, already_read in outcome]

    assert len(states) == REQUESTS
    assert new_articles_unlocked(states, 5) == 1
    assert len(database_store.peek(reader, month(), NOW)) == 5
