"""Remembering the current window never hands out a stale one: each moment gets the window that contains it."""

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from masthead.metering.rules import Allowance, WindowKind
from masthead.metering.windows import _calendar_window, window_for

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
KINDS = [Allowance(5, WindowKind.MONTH), Allowance(5, WindowKind.WEEK), Allowance(5, WindowKind.DAY)]


def test_it_reuses_the_window_while_it_lasts():
    now = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)

    assert window_for(KINDS[0], now, NEW_YORK) is window_for(KINDS[0], now + dt.timedelta(days=5), NEW_YORK)


def test_it_moves_on_at_the_window_end_exactly():
    march = window_for(KINDS[0], dt.datetime(2024, 3, 15, tzinfo=dt.UTC), NEW_YORK)

    assert window_for(KINDS[0], march.ends - dt.timedelta(microseconds=1), NEW_YORK) is march
    assert window_for(KINDS[0], march.ends, NEW_YORK).key == "m202404"
    assert window_for(KINDS[0], march.starts - dt.timedelta(microseconds=1), NEW_YORK).key == "m202402"


moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC))  # noqa: DTZ001, E501 - Hypothesis takes naive bounds


@given(moments=st.lists(moments, min_size=1, max_size=20), kind=st.sampled_from(KINDS))
def test_it_always_agrees_with_computing_afresh(moments, kind):
    for moment in moments:  # in any order, so the memo is hit, missed and replaced
        assert window_for(kind, moment, NEW_YORK) == _calendar_window(kind, moment, NEW_YORK)
