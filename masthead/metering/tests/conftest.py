"""Meter store fixtures: each store implementation, ready for one test.

``database_store`` needs the database (the test chooses ``db`` or a
transactional database through its ``django_db`` mark). ``redis_store`` talks
to a real Redis: ``REDIS_URL`` when set, otherwise database 14 on loopback. It
writes under a prefix of its own and deletes those keys afterwards. When Redis
is unreachable its tests skip, unless ``MASTHEAD_REQUIRE_REDIS=1`` (CI), when
they fail.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
import zoneinfo

import pytest

from masthead.metering.rules import Allowance, WindowKind
from masthead.metering.windows import window_for

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# Mid-month in Tokyo, far from any window edge.
NOW = dt.datetime(2024, 5, 15, 3, 0, tzinfo=dt.UTC)


def month(now: dt.datetime = NOW):
    return window_for(Allowance(5, WindowKind.MONTH), now, TOKYO)


def rolling(now: dt.datetime = NOW, days: int = 7):
    return window_for(Allowance(5, WindowKind.ROLLING, rolling_days=days), now, TOKYO)


@pytest.fixture(scope="session")
def redis_url():
    """A Redis that answers PING, or a skip (a failure under MASTHEAD_REQUIRE_REDIS=1)."""
    import redis

    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    probe = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        probe.ping()
    except redis.RedisError as exc:
        reason = f"Redis is unreachable at {url} ({exc}); start one or set REDIS_URL"
        if os.environ.get("MASTHEAD_REQUIRE_REDIS") == "1":
            pytest.fail(f"MASTHEAD_REQUIRE_REDIS=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    finally:
        probe.close()
    return url


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
