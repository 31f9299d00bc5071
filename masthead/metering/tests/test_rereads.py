"""Re-reads a process answers from memory: only ever "already read", only in calendar windows, briefly."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.metering.decision import MeterState
from masthead.metering.rereads import Rereads
from masthead.metering.windows import Window

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
MONTH = Window(
    key="m202611",
    starts=dt.datetime(2026, 10, 31, 15, tzinfo=dt.UTC),
    ends=dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC),
)
ROLLING = Window(key="r30", starts=NOW - dt.timedelta(days=30), ends=None)


def test_a_noted_article_is_a_reread_with_the_count_as_noted():
    memo = Rereads()
    memo.note("c:1", MONTH, 7, 3, NOW)

    assert memo.recall("c:1", MONTH, 7, NOW + dt.timedelta(seconds=5)) == MeterState(used=3, already_read=True)


@pytest.mark.parametrize(
    ("reader", "window", "article", "at", "why"),
    [
        ("c:2", MONTH, 7, NOW, "another reader"),
        ("c:1", MONTH, 8, NOW, "another article"),
        ("c:1", Window("m202612", MONTH.ends, MONTH.ends + dt.timedelta(days=31)), 7, MONTH.ends, "the next window"),
        ("c:1", MONTH, 7, NOW + dt.timedelta(seconds=121), "noted too long ago"),
        ("c:1", MONTH, 7, MONTH.ends, "the window has ended"),
    ],
)
def test_anything_else_asks_the_store(reader, window, article, at, why):
    memo = Rereads(seconds=120)
    memo.note("c:1", MONTH, 7, 3, NOW)

    assert memo.recall(reader, window, article, at) is None, why


def test_a_rolling_window_always_asks_the_store():
    memo = Rereads()
    memo.note("c:1", ROLLING, 7, 1, NOW)

    assert memo.recall("c:1", ROLLING, 7, NOW) is None


def test_it_keeps_every_article_noted_and_the_latest_count():
    memo = Rereads()
    memo.note("c:1", MONTH, 7, 1, NOW)
    memo.note("c:1", MONTH, 8, 2, NOW)

    assert memo.recall("c:1", MONTH, 7, NOW).used == 2
    assert memo.recall("c:1", MONTH, 8, NOW).used == 2


def test_it_forgets_one_reader_or_everyone():
    memo = Rereads()
    memo.note("c:1", MONTH, 7, 1, NOW)
    memo.note("c:2", MONTH, 7, 1, NOW)

    memo.forget("c:1")
    assert memo.recall("c:1", MONTH, 7, NOW) is None
    assert memo.recall("c:2", MONTH, 7, NOW) is not None
    memo.forget()
    assert memo.recall("c:2", MONTH, 7, NOW) is None


def test_it_stays_bounded_and_drops_the_least_recently_noted():
    memo = Rereads(readers=3)
    for reader in ("c:1", "c:2", "c:3"):
        memo.note(reader, MONTH, 7, 1, NOW)
    memo.note("c:1", MONTH, 8, 2, NOW)  # c:1 is now the most recent

    memo.note("c:4", MONTH, 7, 1, NOW)

    assert memo.recall("c:2", MONTH, 7, NOW) is None
    assert all(memo.recall(reader, MONTH, 7, NOW) for reader in ("c:1", "c:3", "c:4"))


@given(
    notes=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 30), st.integers(1, 10)), max_size=40),
    asked=st.tuples(st.integers(0, 5), st.integers(1, 30)),
)
def test_it_only_ever_answers_already_read_and_only_for_what_was_noted(notes, asked):
    memo = Rereads(readers=4)
    for reader, article, used in notes:
        memo.note(f"c:{reader}", MONTH, article, used, NOW)

    answer = memo.recall(f"c:{asked[0]}", MONTH, asked[1], NOW)

    if answer is not None:
        assert answer.already_read
        assert (asked[0], asked[1]) in {(reader, article) for reader, article, _ in notes}
