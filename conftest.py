"""Shared fixtures: named personas and a small newsroom.

Personas: ``visitor`` (anonymous client), ``reader`` (registered, no
subscription), ``reporter`` and ``editor`` (the newsroom's two groups).
Subscriber personas arrive with billing.

``redis_url`` is a real Redis: ``REDIS_URL`` when set, otherwise database 14 on
loopback. When Redis is unreachable its tests skip, unless
``MASTHEAD_REQUIRE_REDIS=1`` (CI), when they fail.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from masthead.content.tests import factories

# Property tests check behaviour, not speed: on a busy machine a slow example is
# not a failure, and CI must not turn red because another job took the CPU.
settings.register_profile("masthead", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("masthead")

PASSWORD = "correct-horse-battery"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Every test starts with an empty cache, whatever the backend, and no re-reads remembered."""
    from django.core.cache import cache

    from masthead.metering.rereads import rereads

    cache.clear()
    rereads.forget()
    yield
    cache.clear()
    rereads.forget()


def _account(django_user_model, email, groups=(), **extra):
    from django.contrib.auth.models import Group

    from masthead.accounts.actions import account_email_verify

    user = django_user_model.objects.create_user(email=email, password=PASSWORD, **extra)
    account_email_verify(reader=user)  # as after sign-up: the persona can log in through the form
    if groups:
        user.groups.set(Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def reader(db, django_user_model):
    return _account(django_user_model, "reader@example.com")


@pytest.fixture
def reporter(db, django_user_model):
    return _account(django_user_model, "reporter@example.com", groups=["Reporters"])


@pytest.fixture
def editor(db, django_user_model):
    return _account(django_user_model, "editor@example.com", groups=["Editors"])


@pytest.fixture
def visitor(client):
    """An anonymous visitor's browser."""
    return client


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


@pytest.fixture
def newsroom(db):
    """A front page with two sections and a handful of published stories."""
    return factories.newsroom()


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
def cache_reads(monkeypatch):
    """The reads made of the default cache from now on, as ("get", key) and ("get_many", keys)."""
    from django.core.cache import cache

    made = []
    inside_get_many = []
    get, get_many = cache.get, cache.get_many

    def counting_get(key, *args, **kwargs):
        if not inside_get_many:  # a backend's get_many may be a loop of its own get
            made.append(("get", key))
        return get(key, *args, **kwargs)

    def counting_get_many(keys, *args, **kwargs):
        made.append(("get_many", tuple(keys)))
        inside_get_many.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside_get_many.pop()

    monkeypatch.setattr(cache, "get", counting_get)
    monkeypatch.setattr(cache, "get_many", counting_get_many)
    return made
