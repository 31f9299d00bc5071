"""Date maths and display in the publication's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django.conf import settings


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def publication_zone() -> zoneinfo.ZoneInfo:
    return _zone(settings.PUBLICATION_TIMEZONE)


def local(moment: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """``moment`` (aware) in the publication's zone, or in ``zone`` when given."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return moment.astimezone(zone or publication_zone())


def format_newsroom_time(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """Newspaper style, e.g. ``November 11, 2016 5:44 am JST``.

    The abbreviation comes from the zone's rules at that instant, so a summer
    date in London reads BST and a winter one GMT. Zones without a letter
    abbreviation (tzdata writes "+0530" style names for some) show that offset.
    """
    when = local(moment, zone)
    hour = when.hour % 12 or 12
    meridiem = "am" if when.hour < 12 else "pm"
    return f"{when:%B} {when.day}, {when.year} {hour}:{when:%M} {meridiem} {when.tzname()}"


def format_newsroom_date(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """Just the date, e.g. ``November 11, 2016``."""
    when = local(moment, zone)
    return f"{when:%B} {when.day}, {when.year}"
