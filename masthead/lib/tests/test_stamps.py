"""Stamps read together: one round trip for every stamp a page asks for, and nothing stale."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from masthead.lib import stamps


@pytest.fixture
def reads(cache_reads):
    return cache_reads


@pytest.fixture
def two_stamps(monkeypatch):
    monkeypatch.setattr(stamps, "_keys", [])
    return stamps.register("test:first"), stamps.register("test:second")


def test_inside_the_block_the_first_read_fetches_every_stamp_at_once(two_stamps, reads):
    first, second = two_stamps
    cache.set_many({first: 1, second: "b"})
    with stamps.read_together():
        assert stamps.get(second) == "b"
        assert stamps.get(first) == 1
        assert stamps.get(second) == "b"
    assert reads == [("get_many", (first, second))]


def test_outside_the_block_each_read_asks_the_cache(two_stamps, reads):
    first, _ = two_stamps
    cache.set(first, 1)
    assert stamps.get(first) == 1
    cache.set(first, 2)
    assert stamps.get(first) == 2
    assert reads == [("get", first), ("get", first)]


def test_a_stamp_missing_from_the_cache_is_asked_for_again(two_stamps, reads):
    """A stamp absent at the first read may be made meanwhile, by this request or another: absence is not kept."""
    first, second = two_stamps
    cache.set(first, 1)
    with stamps.read_together():
        assert stamps.get(first) == 1
        assert stamps.get(second) is None
        cache.set(second, "made")
        assert stamps.get(second) == "made"


def test_a_key_never_registered_is_read_on_its_own(two_stamps, reads):
    cache.set("test:other", "x")
    with stamps.read_together():
        assert stamps.get("test:other") == "x"
    assert reads == [("get", "test:other")]


def test_blocks_do_not_leak_into_each_other(two_stamps, reads):
    first, _ = two_stamps
    cache.set(first, 1)
    with stamps.read_together():
        assert stamps.get(first) == 1
    cache.set(first, 2)
    with stamps.read_together():
        assert stamps.get(first) == 2
    assert stamps.get(first) == 2
