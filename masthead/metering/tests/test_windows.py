"""Meter windows turn over exactly at local midnight in the publication's zone, DST included."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.metering.rules import Allowance, WindowKind
from masthead.metering.windows import window_for

UTC = dt.UTC
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")
MONTH, WEEK, DAY = Allowance(5, WindowKind.MONTH), Allowance(5, WindowKind.WEEK), Allowance(5, WindowKind.DAY)


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("allowance", "now", "zone", "key", "starts", "ends"),
    [
        # Tokyo's November starts at 15:00 UTC on October 31.
        (MONTH, utc(2026, 10, 31, 14, 59), TOKYO, "m202610", utc(2026, 9, 30, 15), utc(2026, 10, 31, 15)),
        (MONTH, utc(2026, 10, 31, 15, 0), TOKYO, "m202611", utc(2026, 10, 31, 15), utc(2026, 11, 30, 15)),
        (MONTH, utc(2026, 12, 31, 15, 0), TOKYO, "m202701", utc(2026, 12, 31, 15), utc(2027, 1, 31, 15)),
        (MONTH, utc(2024, 2, 10), TOKYO, "m202402", utc(2024, 1, 31, 15), utc(2024, 2, 29, 15)),  # leap year
        # New York's March 2024 starts in EST (UTC-5) and ends in EDT (UTC-4).
        (MONTH, utc(2024, 3, 15), NEW_YORK, "m202403", utc(2024, 3, 1, 5), utc(2024, 4, 1, 4)),
        # The spring-forward day is 23 hours long.
        (DAY, utc(2024, 3, 10, 12), NEW_YORK, "d20240310", utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)),
        # The fall-back day is 25 hours long.
        (DAY, utc(2024, 11, 3, 12), NEW_YORK, "d20241103", utc(2024, 11, 3, 4), utc(2024, 11, 4, 5)),
        # Weeks run Monday to Sunday; ISO week numbers name them.
        (WEEK, utc(2026, 11, 29, 12), TOKYO, "w202648", utc(2026, 11, 22, 15), utc(2026, 11, 29, 15)),
        (WEEK, utc(2026, 11, 29, 15), TOKYO, "w202649", utc(2026, 11, 29, 15), utc(2026, 12, 6, 15)),
        # A London week spanning the October clock change.
        (WEEK, utc(2024, 10, 25), LONDON, "w202443", utc(2024, 10, 20, 23), utc(2024, 10, 28, 0)),
    ],
)
def test_it_bounds_calendar_windows_at_local_midnight(allowance, now, zone, key, starts, ends):
    window = window_for(allowance, now, zone)
    assert (window.key, window.starts, window.ends) == (key, starts, ends)


def test_a_rolling_window_ends_now_and_reaches_back_n_days():
    now = utc(2026, 11, 29, 10)
    window = window_for(Allowance(5, WindowKind.ROLLING, rolling_days=30), now, TOKYO)
    assert window.key == "r30"
    assert window.starts == now - dt.timedelta(days=30)
    assert window.ends is None


def test_it_refuses_naive_times():
    with pytest.raises(ValueError, match="aware"):
        window_for(MONTH, dt.datetime(2026, 1, 1), TOKYO)  # noqa: DTZ001 - the point of the test


zones = st.sampled_from([TOKYO, NEW_YORK, LONDON, zoneinfo.ZoneInfo("Australia/Lord_Howe")])
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2050, 1, 1), timezones=st.just(UTC))  # noqa: DTZ001 - Hypothesis takes naive bounds
calendar = st.sampled_from([MONTH, WEEK, DAY])


@given(now=moments, zone=zones, allowance=calendar)
def test_now_is_always_inside_its_window_which_starts_at_local_midnight(now, zone, allowance):
    window = window_for(allowance, now, zone)
    assert window.starts <= now < window.ends
    for edge in (window.starts, window.ends):
        local = edge.astimezone(zone)
        assert (local.hour, local.minute) == (0, 0)


@given(now=moments, zone=zones, allowance=calendar)
def test_the_window_resets_exactly_at_its_end(now, zone, allowance):
    window = window_for(allowance, now, zone)
    just_before = window_for(allowance, window.ends - dt.timedelta(microseconds=1), zone)
    at_end = window_for(allowance, window.ends, zone)
    assert just_before.key == window.key
    assert at_end.key != window.key
    assert at_end.starts == window.ends
