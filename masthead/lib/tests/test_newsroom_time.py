"""Times are shown in the publication's zone, newspaper style, with the zone's abbreviation."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.lib.dates import format_newsroom_date, format_newsroom_time, local

UTC = dt.UTC
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (dt.datetime(2016, 11, 10, 20, 44, tzinfo=UTC), TOKYO, "November 11, 2016 5:44 am JST"),
        (dt.datetime(2016, 11, 11, 3, 0, tzinfo=UTC), TOKYO, "November 11, 2016 12:00 pm JST"),
        (dt.datetime(2016, 11, 10, 15, 0, tzinfo=UTC), TOKYO, "November 11, 2016 12:00 am JST"),
        (dt.datetime(2016, 11, 11, 14, 59, tzinfo=UTC), TOKYO, "November 11, 2016 11:59 pm JST"),
        (dt.datetime(2024, 7, 1, 9, 5, tzinfo=UTC), LONDON, "July 1, 2024 10:05 am BST"),
        (dt.datetime(2024, 1, 1, 9, 5, tzinfo=UTC), LONDON, "January 1, 2024 9:05 am GMT"),
        # The US spring-forward night: 1:59 EST is followed by 3:00 EDT.
        (dt.datetime(2024, 3, 10, 6, 59, tzinfo=UTC), NEW_YORK, "March 10, 2024 1:59 am EST"),
        (dt.datetime(2024, 3, 10, 7, 0, tzinfo=UTC), NEW_YORK, "March 10, 2024 3:00 am EDT"),
        # Fall back: 1:30 happens twice, once in each offset.
        (dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC), NEW_YORK, "November 3, 2024 1:30 am EDT"),
        (dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC), NEW_YORK, "November 3, 2024 1:30 am EST"),
    ],
)
def test_it_formats_times_newspaper_style(moment, zone, expected):
    assert format_newsroom_time(moment, zone) == expected


def test_it_uses_the_publication_zone_by_default(settings):
    settings.PUBLICATION_TIMEZONE = "Asia/Tokyo"
    assert format_newsroom_time(dt.datetime(2016, 11, 10, 20, 44, tzinfo=UTC)) == "November 11, 2016 5:44 am JST"
    assert format_newsroom_date(dt.datetime(2016, 11, 10, 20, 44, tzinfo=UTC)) == "November 11, 2016"


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        format_newsroom_time(dt.datetime(2016, 11, 11, 5, 44))  # noqa: DTZ001 - the point of the test


zones = st.sampled_from([TOKYO, LONDON, NEW_YORK, zoneinfo.ZoneInfo("Australia/Lord_Howe")])
moments = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 1, 1), timezones=st.just(UTC))  # noqa: DTZ001 - Hypothesis takes naive bounds


@given(moment=moments, zone=zones)
def test_it_never_changes_the_instant_only_its_display(moment, zone):
    assert local(moment, zone) == moment
    text = format_newsroom_time(moment, zone)
    shown = local(moment, zone)
    assert text.startswith(f"{shown:%B} {shown.day}, {shown.year} ")
    assert text.endswith(f" {shown.tzname()}")
    hour = int(text.split(" ")[3].split(":")[0])
    assert 1 <= hour <= 12
