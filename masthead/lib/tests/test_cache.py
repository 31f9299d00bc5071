"""The shared cache on Redis (``masthead.lib.cache.RedisCache``), against a real Redis."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from masthead.lib.cache import RedisCache


@pytest.fixture
def cache(redis_url):
    backend = RedisCache(redis_url, {"KEY_PREFIX": f"cache-test-{uuid.uuid4().hex}"})
    yield backend
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{backend.key_prefix}:*", count=500):
        client.delete(key)
    client.close()
    backend.close()


def test_it_keeps_what_django_caches_keep(cache):
    cache.set("page", b"<html>story</html>", 60)
    cache.set_many({"generation": 43, "stamp": ("rules", 7)}, 60)
    assert cache.get("page") == b"<html>story</html>"
    assert cache.get_many(["generation", "stamp", "missing"]) == {"generation": 43, "stamp": ("rules", 7)}
    assert cache.add("page", b"other", 60) is False
    assert cache.add("route", "token", 60) is True
    assert cache.get("route") == "token"
    assert cache.incr("generation") == 44
    assert cache.delete("page") is True
    assert cache.get("page", "gone") == "gone"
    assert cache.has_key("route")


def test_operations_share_one_client_per_connection_pool(cache, monkeypatch):
    """Building a redis.Redis costs more than a round trip: one is built per pool, then reused."""
    built = []
    original = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(kwargs.get("connection_pool"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    for number in range(20):
        cache.set(f"key-{number}", number, 60)
        assert cache.get(f"key-{number}") == number
    assert len(built) == 1
    assert built[0] is not None


def test_a_forked_process_reads_and_writes_on_connections_of_its_own(cache):
    cache.set("before-fork", "parent", 60)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it sees, then leave without running pytest's teardown
        status = 1
        try:
            seen = cache.get("before-fork")
            cache.set("from-child", "child", 60)
            os.write(write, str(seen).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    seen = os.read(read, 100).decode()
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert seen == "parent"
    # The parent's own connection was not disturbed by the child's use of the pool.
    assert cache.get("from-child") == "child"
    assert cache.get("before-fork") == "parent"
