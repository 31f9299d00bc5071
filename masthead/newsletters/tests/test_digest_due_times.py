"""When the next automatic digest is due: a pure function, across time zones and DST changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.newsletters.rules import next_digest_at

TOKYO, LONDON, NEW_YORK = ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
DAILY = range(7)
UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "at", "weekdays", "zone", "expected"),
    [
        # 07:00 in Tokyo is 22:00 UTC the day before.
        (utc(2026, 11, 29, 12, 0), dt.time(7), DAILY, TOKYO, utc(2026, 11, 29, 22, 0)),
        (utc(2026, 11, 29, 21, 59), dt.time(7), DAILY, TOKYO, utc(2026, 11, 29, 22, 0)),
        # Exactly at the due moment: the next one, a day later.
        (utc(2026, 11, 29, 22, 0), dt.time(7), DAILY, TOKYO, utc(2026, 11, 30, 22, 0)),
        # Fridays only (weekday 4): from Sunday the 29th to Friday December 4th.
        (utc(2026, 11, 29, 12, 0), dt.time(7), [4], TOKYO, utc(2026, 12, 3, 22, 0)),
        # London in winter (GMT) and summer (BST).
        (utc(2026, 1, 10, 12, 0), dt.time(7), DAILY, LONDON, utc(2026, 1, 11, 7, 0)),
        (utc(2026, 7, 10, 12, 0), dt.time(7), DAILY, LONDON, utc(2026, 7, 11, 6, 0)),
        # Spring forward in London (March 29th 2026, 01:00 GMT -> 02:00 BST): 07:00 is BST that day.
        (utc(2026, 3, 28, 12, 0), dt.time(7), DAILY, LONDON, utc(2026, 3, 29, 6, 0)),
        # 01:30 does not exist that night: sent once, at 02:30 BST (01:30 UTC).
        (utc(2026, 3, 28, 12, 0), dt.time(1, 30), DAILY, LONDON, utc(2026, 3, 29, 1, 30)),
        # Fall back (October 25th 2026, 02:00 BST -> 01:00 GMT): 01:30 happens twice; the first one.
        (utc(2026, 10, 24, 12, 0), dt.time(1, 30), DAILY, LONDON, utc(2026, 10, 25, 0, 30)),
        # ... and after the first, the next is the following night, never the repeat.
        (utc(2026, 10, 25, 0, 30), dt.time(1, 30), DAILY, LONDON, utc(2026, 10, 26, 1, 30)),
        # New York's spring gap is 02:00-03:00 on March 8th 2026.
        (utc(2026, 3, 7, 12, 0), dt.time(2, 30), DAILY, NEW_YORK, utc(2026, 3, 8, 7, 30)),
    ],
)
def test_it_finds_the_next_due_time(after, at, weekdays, zone, expected):
    assert next_digest_at(after, at=at, weekdays=weekdays, zone=zone) == expected


def test_it_refuses_naive_times_and_no_days():
    with pytest.raises(ValueError):
        next_digest_at(dt.datetime(2026, 1, 1), at=dt.time(7), weekdays=DAILY, zone=TOKYO)  # noqa: DTZ001
    with pytest.raises(ValueError):
        next_digest_at(utc(2026, 1, 1), at=dt.time(7), weekdays=[], zone=TOKYO)


zones = st.sampled_from([TOKYO, LONDON, NEW_YORK, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata")])
moments = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),  # noqa: DTZ001 - Hypothesis takes naive bounds
    max_value=dt.datetime(2035, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
times = st.times()
day_sets = st.sets(st.integers(0, 6), min_size=1)


@given(after=moments, at=times, weekdays=day_sets, zone=zones)
def test_it_is_always_later_and_within_eight_days(after, at, weekdays, zone):
    due = next_digest_at(after, at=at, weekdays=weekdays, zone=zone)
    assert due > after
    assert due - after <= dt.timedelta(days=7, hours=3)
    assert due.tzinfo is UTC


@given(after=moments, at=times, weekdays=day_sets, zone=zones)
def test_it_falls_on_a_chosen_day_at_the_chosen_time_unless_the_clock_skipped_it(after, at, weekdays, zone):
    due = next_digest_at(after, at=at, weekdays=weekdays, zone=zone)
    local = due.astimezone(zone)
    wall = dt.datetime.combine(local.date(), at, tzinfo=zone)
    skipped = wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None)
    if skipped:  # in a spring gap: shifted forward by the gap, still that day
        assert wall.replace(tzinfo=None).date().weekday() in weekdays
    else:
        assert local.weekday() in weekdays and local.time() == at


@given(after=moments, at=times, weekdays=day_sets, zone=zones)
def test_it_skips_no_due_time(after, at, weekdays, zone):
    """Asking again just before the answer gives the same answer: nothing due lies in between."""
    due = next_digest_at(after, at=at, weekdays=weekdays, zone=zone)
    just_before = max(after, due - dt.timedelta(microseconds=1))
    assert next_digest_at(just_before, at=at, weekdays=weekdays, zone=zone) == due
    # ... and one step past it leads to a strictly later one: each due time is used once.
    assert next_digest_at(due, at=at, weekdays=weekdays, zone=zone) > due
