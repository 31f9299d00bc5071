"""Every meter store keeps the same contract (stores/base.py), checked here against each implementation.

The ``store`` fixture runs each test once on the database store and once on
the Redis store. The few tests at the end that look inside a store (how it
forgets expired windows) name the store they are about.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.metering.decision import MeterState, meter_step
from masthead.metering.tests.conftest import NOW, month, rolling

DAY = dt.timedelta(days=1)


@pytest.fixture(params=["database", "redis"])
def store(request):
    if request.param == "database":
        request.getfixturevalue("db")
        return request.getfixturevalue("database_store")
    return request.getfixturevalue("redis_store")


def new_reader() -> str:
    return f"c:{uuid.uuid4()}"


def fill(store, reader, window, articles, *, limit=100, now=NOW):
    for article in articles:
        store.consume(reader, window, article, limit, now)


# --- consume and peek -----------------------------------------------------------------


def test_it_reports_an_empty_window_on_the_first_read_and_counts_it(store):
    reader = new_reader()

    assert store.peek(reader, month(), NOW) == frozenset()
    assert store.consume(reader, month(), 7, 5, NOW) == MeterState(used=0, already_read=False)
    assert store.peek(reader, month(), NOW) == {7}


@pytest.mark.parametrize("window", [month, rolling])
def test_it_counts_a_new_readers_first_read_when_told_the_reader_is_new(store, window):
    reader = new_reader()

    assert store.consume(reader, window(), 7, 5, NOW, new_reader=True) == MeterState(used=0, already_read=False)
    assert store.peek(reader, window(), NOW) == {7}


@pytest.mark.parametrize("window", [month, rolling])
def test_it_answers_as_usual_when_told_wrongly_that_the_reader_is_new(store, window):
    reader = new_reader()
    fill(store, reader, window(), [7, 8], limit=3)

    assert store.consume(reader, window(), 7, 3, NOW, new_reader=True) == MeterState(used=2, already_read=True)
    assert store.consume(reader, window(), 9, 3, NOW, new_reader=True) == MeterState(used=2, already_read=False)
    assert store.consume(reader, window(), 10, 3, NOW, new_reader=True) == MeterState(used=3, already_read=False)
    assert store.peek(reader, window(), NOW) == {7, 8, 9}


def test_it_lets_a_reader_reread_without_counting_again(store):
    reader = new_reader()
    fill(store, reader, month(), [7, 8], limit=5)

    assert store.consume(reader, month(), 7, 5, NOW + DAY) == MeterState(used=2, already_read=True)
    assert store.peek(reader, month(), NOW) == {7, 8}
    assert store.consume(reader, month(), 9, 5, NOW + DAY) == MeterState(used=2, already_read=False)


def test_it_refuses_a_new_article_at_the_limit_but_still_allows_rereads(store):
    reader = new_reader()
    fill(store, reader, month(), [1, 2, 3], limit=3)

    refused = store.consume(reader, month(), 4, 3, NOW)
    assert refused == MeterState(used=3, already_read=False)
    assert meter_step(refused.used, refused.already_read, 3) == (False, 3)
    assert store.peek(reader, month(), NOW) == {1, 2, 3}

    assert store.consume(reader, month(), 2, 3, NOW) == MeterState(used=3, already_read=True)
    # A refusal records nothing: the same article is refused again, not "already read".
    assert store.consume(reader, month(), 4, 3, NOW) == MeterState(used=3, already_read=False)


def test_it_never_counts_anything_with_a_limit_of_zero(store):
    reader = new_reader()

    for article in (1, 2, 1):
        assert store.consume(reader, month(), article, 0, NOW) == MeterState(used=0, already_read=False)
    assert store.peek(reader, month(), NOW) == frozenset()


def test_it_keeps_readers_apart(store):
    alice, bob = new_reader(), new_reader()
    fill(store, alice, month(), [1, 2], limit=2)

    assert store.consume(bob, month(), 1, 2, NOW) == MeterState(used=0, already_read=False)
    assert store.peek(alice, month(), NOW) == {1, 2}
    assert store.peek(bob, month(), NOW) == {1}


def test_it_keeps_windows_apart(store):
    reader = new_reader()
    may, june, week = month(NOW), month(NOW + 20 * DAY), rolling(NOW)
    fill(store, reader, may, [1, 2], limit=2)

    assert store.consume(reader, june, 1, 2, NOW + 20 * DAY) == MeterState(used=0, already_read=False)
    assert store.consume(reader, week, 3, 2, NOW) == MeterState(used=0, already_read=False)
    assert store.peek(reader, may, NOW) == {1, 2}
    assert store.peek(reader, june, NOW + 20 * DAY) == {1}
    assert store.peek(reader, week, NOW) == {3}


# --- rolling windows ------------------------------------------------------------------


def test_it_stops_counting_reads_older_than_a_rolling_cutoff(store):
    reader = new_reader()
    start = NOW
    fill(store, reader, rolling(start), [1], limit=2, now=start)
    fill(store, reader, rolling(start + 4 * DAY), [2], limit=2, now=start + 4 * DAY)
    assert store.consume(reader, rolling(start + 4 * DAY), 3, 2, start + 4 * DAY).used == 2

    later = start + 8 * DAY  # article 1 (read at `start`) has left the 7-day window; article 2 has not
    assert store.peek(reader, rolling(later), later) == {2}
    assert store.consume(reader, rolling(later), 1, 2, later) == MeterState(used=1, already_read=False)
    assert store.peek(reader, rolling(later), later) == {1, 2}


def test_it_drops_reads_that_left_a_rolling_window_once_it_consumes(store):
    reader = new_reader()
    fill(store, reader, rolling(NOW), [1, 2], now=NOW)
    later = NOW + 8 * DAY

    store.consume(reader, rolling(later), 3, 5, later)

    # Looking back through the old window shows what is still stored: the old reads are gone.
    assert store.peek(reader, rolling(NOW), NOW) == {3}


def test_it_still_counts_a_read_exactly_at_the_rolling_cutoff(store):
    reader = new_reader()
    fill(store, reader, rolling(NOW), [1], now=NOW)
    at_cutoff = NOW + 7 * DAY

    assert rolling(at_cutoff).starts == NOW
    assert store.consume(reader, rolling(at_cutoff), 1, 5, at_cutoff) == MeterState(used=1, already_read=True)


# --- merge ----------------------------------------------------------------------------


def test_it_merges_the_union_and_leaves_the_source_alone(store):
    anonymous, account = new_reader(), new_reader()
    fill(store, anonymous, month(), [1, 2])
    fill(store, account, month(), [2, 3])

    assert store.merge(anonymous, month(), account, month(), NOW) == 3
    assert store.peek(account, month(), NOW) == {1, 2, 3}
    assert store.peek(anonymous, month(), NOW) == {1, 2}


def test_it_merges_the_same_reads_only_once(store):
    anonymous, account = new_reader(), new_reader()
    fill(store, anonymous, month(), [1, 2])
    fill(store, account, month(), [3])
    store.merge(anonymous, month(), account, month(), NOW)

    assert store.merge(anonymous, month(), account, month(), NOW) == 3
    assert store.peek(account, month(), NOW) == {1, 2, 3}
    assert store.consume(account, month(), 4, 5, NOW) == MeterState(used=3, already_read=False)


@pytest.mark.parametrize("source_reads", [[], [1], [1, 2, 3]], ids=["empty", "subset", "same"])
def test_it_never_lowers_the_target_count_in_a_merge(store, source_reads):
    anonymous, account = new_reader(), new_reader()
    fill(store, anonymous, month(), source_reads)
    fill(store, account, month(), [1, 2, 3])

    assert store.merge(anonymous, month(), account, month(), NOW) == 3
    assert store.peek(account, month(), NOW) == {1, 2, 3}


def test_it_merges_into_a_reader_with_no_window_yet(store):
    anonymous, account = new_reader(), new_reader()
    fill(store, anonymous, month(), [1, 2])

    assert store.merge(anonymous, month(), account, month(), NOW) == 2
    assert store.consume(account, month(), 2, 5, NOW) == MeterState(used=2, already_read=True)
    assert store.merge(new_reader(), month(), account, month(), NOW) == 2


def test_it_merges_only_the_source_reads_inside_the_target_window(store):
    anonymous, account = new_reader(), new_reader()
    may = month(NOW)
    reads = {
        1: may.starts - dt.timedelta(seconds=1),  # the last second of April, Tokyo time
        2: may.starts,  # the first second of May
        3: NOW,
        4: may.ends - dt.timedelta(seconds=1),
        5: may.ends,  # June: a month window ends exclusively
    }
    late = may.ends + DAY
    for article, when in reads.items():
        # One 60-day rolling window for the anonymous reader holds all five.
        store.consume(anonymous, rolling(when, days=60), article, 10, when)
    source = rolling(late, days=60)
    assert store.peek(anonymous, source, late) == set(reads)

    assert store.merge(anonymous, source, account, may, late) == 3
    assert store.peek(account, may, late) == {2, 3, 4}


def test_it_does_not_merge_source_reads_older_than_its_rolling_cutoff(store):
    anonymous, account = new_reader(), new_reader()
    fill(store, anonymous, rolling(NOW - 10 * DAY), [1], now=NOW - 10 * DAY)
    fill(store, anonymous, rolling(NOW - 4 * DAY), [2], now=NOW - 4 * DAY)

    # Article 1 is still stored (it was inside the window at the last consume) but has left the
    # source's 7-day window by now.
    assert store.merge(anonymous, rolling(NOW), account, month(), NOW) == 1
    assert store.peek(account, month(), NOW) == {2}


def test_it_reports_the_count_a_rolling_target_then_has(store):
    """merge returns the target's count afterwards: reads past the target's cutoff no longer count."""
    anonymous, account = new_reader(), new_reader()
    fill(store, account, rolling(NOW - 10 * DAY), [1], now=NOW - 10 * DAY)
    fill(store, anonymous, rolling(NOW - DAY), [2], now=NOW - DAY)

    merged = store.merge(anonymous, rolling(NOW), account, rolling(NOW), NOW)

    assert store.peek(account, rolling(NOW), NOW) == {2}
    assert merged == 1
    assert store.consume(account, rolling(NOW), 3, 5, NOW) == MeterState(used=1, already_read=False)


def test_it_keeps_the_earliest_read_of_a_merged_article(store):
    anonymous, account = new_reader(), new_reader()
    fill(store, anonymous, rolling(NOW - 5 * DAY), [1], now=NOW - 5 * DAY)
    fill(store, account, rolling(NOW), [1], now=NOW)
    store.merge(anonymous, rolling(NOW), account, rolling(NOW), NOW)

    # Two days on, the anonymous read (now 7 days and a second old) has left the window.
    later = NOW + 2 * DAY + dt.timedelta(seconds=1)
    assert store.consume(account, rolling(later), 1, 5, later) == MeterState(used=0, already_read=False)


# --- forget and prune -----------------------------------------------------------------


def test_it_forgets_every_window_of_a_reader_and_no_one_else(store):
    reader, other = new_reader(), new_reader()
    for who in (reader, other):
        fill(store, who, month(NOW), [1])
        fill(store, who, month(NOW + 20 * DAY), [2], now=NOW + 20 * DAY)
        fill(store, who, rolling(NOW), [3])

    store.forget(reader)

    assert store.peek(reader, month(NOW), NOW) == frozenset()
    assert store.peek(reader, month(NOW + 20 * DAY), NOW + 20 * DAY) == frozenset()
    assert store.peek(reader, rolling(NOW), NOW) == frozenset()
    assert store.consume(reader, month(NOW), 9, 5, NOW) == MeterState(used=0, already_read=False)
    assert store.peek(other, month(NOW), NOW) == {1}
    assert store.peek(other, month(NOW + 20 * DAY), NOW + 20 * DAY) == {2}
    assert store.peek(other, rolling(NOW), NOW) == {3}


@pytest.mark.parametrize("odd", ["*", "?", "[ab]", "\\"])
def test_it_forgets_a_reader_key_literally(store, odd):
    """Device ids come from the app, so a reader key may hold any character, even a glob's."""
    tag = uuid.uuid4().hex[:8]
    reader, others = f"d:{tag}{odd}", [f"d:{tag}{c}" for c in ("x", "a", "b", "xy", "*x")]
    fill(store, reader, month(), [1])
    for other in others:
        fill(store, other, month(), [2])

    store.forget(reader)

    assert store.peek(reader, month(), NOW) == frozenset()
    for other in others:
        assert store.peek(other, month(), NOW) == {2}, other


def test_it_keeps_unexpired_windows_when_pruning(store):
    reader = new_reader()
    fill(store, reader, month(), [1])
    fill(store, reader, rolling(), [2])

    store.prune(NOW + DAY)

    assert store.peek(reader, month(), NOW) == {1}
    assert store.peek(reader, rolling(), NOW) == {2}


@pytest.mark.django_db
def test_it_prunes_database_windows_once_they_expire(database_store):
    from masthead.metering.models import MeterWindow

    store, reader = database_store, new_reader()
    may, june = month(NOW), month(NOW + 20 * DAY)
    fill(store, reader, may, [1])
    fill(store, reader, june, [2], now=NOW + 20 * DAY)
    fill(store, reader, rolling(), [3])  # stored until 7 days after its last read

    assert store.prune(NOW + 7 * DAY - dt.timedelta(seconds=1)) == 0
    assert store.prune(NOW + 7 * DAY) == 1
    assert store.peek(reader, rolling(), NOW) == frozenset()
    assert store.peek(reader, may, NOW) == {1}

    assert store.prune(may.ends - dt.timedelta(seconds=1)) == 0
    assert store.prune(may.ends) == 1
    assert store.peek(reader, may, NOW) == frozenset()
    assert store.peek(reader, june, NOW + 20 * DAY) == {2}

    assert store.prune(june.ends) == 1
    assert not MeterWindow.objects.filter(reader_key=reader).exists()


def test_it_lets_redis_expire_each_window_with_its_end(redis_store):
    store, reader = redis_store, new_reader()
    may = month(NOW)
    fill(store, reader, may, [1])
    fill(store, reader, rolling(), [2])
    merged_into = new_reader()
    store.merge(reader, may, merged_into, may, NOW)

    def ttl(who, window):
        return store.client.ttl(store.key(who, window))

    assert ttl(reader, may) == pytest.approx((may.ends - NOW).total_seconds(), abs=2)
    assert ttl(merged_into, may) == pytest.approx((may.ends - NOW).total_seconds(), abs=2)
    assert ttl(reader, rolling()) == pytest.approx((7 * DAY).total_seconds(), abs=2)
    assert store.prune(may.ends) == 0  # nothing to do: Redis expires the keys itself


# --- the rule, as a property ------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(min_value=0, max_value=8),
    views=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 3600)), max_size=40),
)
def test_it_applies_meter_step_to_any_sequence_of_views(store, limit, views):
    reader, window = new_reader(), month()
    counted: set[int] = set()
    for article, offset in views:
        state = store.consume(reader, window, article, limit, NOW + dt.timedelta(seconds=offset))
        assert state == MeterState(used=len(counted), already_read=article in counted)
        granted, used_after = meter_step(state.used, state.already_read, limit)
        if granted:
            counted.add(article)
        assert len(counted) == used_after
        assert len(counted) <= limit
    assert store.peek(reader, window, NOW) == counted


# --- the Redis store's connection ------------------------------------------------------


def test_it_reconnects_when_redis_drops_the_connection(redis_store):
    reader = new_reader()
    fill(redis_store, reader, month(), [1])
    connection = redis_store._channel.held.connection  # this thread's own
    connection.send_command("CLIENT", "ID")
    redis_store.client.client_kill_filter(_id=connection.read_response())

    assert redis_store.consume(reader, month(), 1, 5, NOW) == MeterState(used=1, already_read=True)


def test_it_reloads_the_script_when_redis_has_forgotten_it(redis_store):
    reader = new_reader()
    redis_store.client.script_flush()

    assert redis_store.consume(reader, month(), 1, 5, NOW) == MeterState(used=0, already_read=False)
    assert redis_store.consume(reader, month(), 1, 5, NOW) == MeterState(used=1, already_read=True)


def test_it_reports_a_redis_error_and_keeps_the_connection_in_step(redis_store):
    from redis import exceptions as redis_errors

    reader = new_reader()
    redis_store.client.set(redis_store.key(reader, month()), "not a sorted set")

    with pytest.raises(redis_errors.ResponseError, match="WRONGTYPE"):
        redis_store.consume(reader, month(), 1, 5, NOW)
    other = new_reader()
    assert redis_store.consume(other, month(), 1, 5, NOW) == MeterState(used=0, already_read=False)
    assert redis_store.consume(other, month(), 1, 5, NOW) == MeterState(used=1, already_read=True)


def test_it_keys_a_reader_whose_id_is_not_ascii(redis_store):
    reader = "d:tablette-de-zoë-東京"

    assert redis_store.consume(reader, month(), 1, 5, NOW) == MeterState(used=0, already_read=False)
    assert redis_store.consume(reader, month(), 2, 5, NOW) == MeterState(used=1, already_read=False)
    assert redis_store.peek(reader, month(), NOW) == {1, 2}
