"""Meter store fixtures: each store implementation, ready for one test.

``database_store`` needs the database (the test chooses ``db`` or a
transactional database through its ``django_db`` mark). ``redis_store`` talks
to the real Redis of the root conftest's ``redis_url``. It writes under a prefix
of its own and deletes those keys afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest

from masthead.metering.rules import Allowance, WindowKind
from masthead.metering.windows import window_for

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# Mid-month in Tokyo, far from any window edge.
NOW = dt.datetime(2024, 5, 15, 3, 0, tzinfo=dt.UTC)


def month(now: dt.datetime = NOW):
    return window_for(Allowance(5, WindowKind.MONTH), now, TOKYO)


def rolling(now: dt.datetime = NOW, days: int = 7):
    return window_for(Allowance(5, WindowKind.ROLLING, rolling_days=days), now, TOKYO)


@pytest.fixture
def redis_store(redis_url):
    from masthead.metering.stores.redis import RedisMeterStore

    store = RedisMeterStore(url=redis_url)
    store.prefix = f"meter-test-{uuid.uuid4().hex}"
    yield store
    for key in store.client.scan_iter(match=f"{store.prefix}:*", count=500):
        store.client.delete(key)
    store.client.close()


@pytest.fixture
def database_store():
    from masthead.metering.stores.database import DatabaseMeterStore

    return DatabaseMeterStore()
