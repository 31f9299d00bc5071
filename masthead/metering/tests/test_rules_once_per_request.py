"""Within one request the rules are looked up once; outside a request, every call asks the cache."""

import contextlib
from unittest import mock

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from masthead.metering import policy
from masthead.metering.models import MeterRulesVersion
from masthead.metering.rules import Rules


@contextlib.contextmanager
def a_request():
    """Django's request signals, as a request sends them (without closing the test's connection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        yield
    finally:
        request_finished.send(sender=None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_it_looks_the_rules_up_once_per_request(db):
    policy.current_rules()  # fills the shared cache
    with mock.patch.object(policy.cache, "get", wraps=policy.cache.get) as lookups, a_request():
        first = policy.current_rules()
        assert policy.current_rules() is first
        assert policy.current_rules() is first
    assert lookups.call_count == 1


def test_it_asks_the_cache_every_time_outside_a_request(db):
    with a_request():
        policy.current_rules()
    with mock.patch.object(policy.cache, "get", wraps=policy.cache.get) as lookups:
        policy.current_rules()
        policy.current_rules()
    assert lookups.call_count == 2


def test_it_sees_a_save_made_during_the_request(db):
    with a_request():
        assert policy.current_rules().version == 0
        MeterRulesVersion.objects.create(number=7, snapshot=policy.snapshot(Rules(countdown_from=4)))
        policy.forget_cached_rules()
        newer = policy.current_rules()
        assert (newer.version, newer.countdown_from) == (7, 4)


def test_processes_share_one_stamp_and_never_replace_each_others(db):
    MeterRulesVersion.objects.create(number=3, snapshot=policy.snapshot(Rules(countdown_from=1)))
    first = policy.current_rules()
    stamp = policy.cache.get(policy.CACHE_KEY)
    policy._loaded.clear()  # another process: it has loaded nothing yet

    second = policy.current_rules()

    assert policy.cache.get(policy.CACHE_KEY) == stamp
    assert second == first
    assert (second.version, second.countdown_from) == (3, 1)


def test_a_request_does_not_unpickle_the_rules(db):
    policy.current_rules()
    assert isinstance(policy.cache.get(policy.CACHE_KEY), str)
