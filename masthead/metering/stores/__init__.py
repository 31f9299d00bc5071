"""The meter store in use: Redis when REDIS_URL is set, the database otherwise."""

from __future__ import annotations

from functools import cache

from django.conf import settings


@cache
def get_store():
    choice = settings.METER_STORE
    if choice == "redis":
        from masthead.metering.stores.redis import RedisMeterStore

        return RedisMeterStore(settings.REDIS_URL)
    from masthead.metering.stores.database import DatabaseMeterStore

    return DatabaseMeterStore()
