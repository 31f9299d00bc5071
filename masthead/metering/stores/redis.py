"""The Redis meter store: one sorted set per reader and window, scored by read time.

``consume`` is a Lua script, so the check and the add happen in one atomic step
on the server. Every key carries a TTL that ends with its window, so Redis
forgets old windows by itself.

The hot path is one EVALSHA per decision, sent on a connection this thread
keeps for itself (``_Channel``): no pool lookup, no lock, no per-call socket
check, which together cost more CPU than the script's whole round trip. The
script is loaded once per connection, and again only if Redis says it lost it
(a restart or SCRIPT FLUSH).

redis-py opens that connection (so AUTH, SELECT, TLS and unix sockets are its
business), but the consume itself is written and read on its socket directly:
the request is one pre-encoded RESP frame, and the reply (``*2 :used :0|1``, or
an error line) is parsed in place. Encoding the arguments and walking
redis-py's reply parser cost more CPU than Redis spends running the script.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import threading

from redis import exceptions as redis_errors

from masthead.metering.decision import meter_state
from masthead.metering.stores.base import MeterStore, expiry

# KEYS[1] the window; ARGV: article, limit, now (s), cutoff (s, 0 for calendar windows), ttl (s).
# Mirrors decision.meter_step: a re-read is free; a new article is added only below the limit.
CONSUME = """
local key = KEYS[1]
local cutoff = tonumber(ARGV[4])
if cutoff > 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. cutoff) end
local used = redis.call('ZCARD', key)
if redis.call('ZSCORE', key, ARGV[1]) then return {used, 1} end
if used < tonumber(ARGV[2]) then
  redis.call('ZADD', key, ARGV[3], ARGV[1])
  redis.call('EXPIRE', key, ARGV[5])
end
return {used, 0}
"""

# KEYS[1] target, KEYS[2] source; ARGV: start (s), end ("(<s>" exclusive, or "+inf"), ttl (s),
# the target's rolling cutoff (s, 0 for calendar windows).
MERGE = """
local cutoff = tonumber(ARGV[4])
if cutoff > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff) end
local reads = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[2], 'WITHSCORES')
for i = 1, #reads, 2 do
  local current = redis.call('ZSCORE', KEYS[1], reads[i])
  if (not current) or tonumber(reads[i + 1]) < tonumber(current) then
    redis.call('ZADD', KEYS[1], reads[i + 1], reads[i])
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
return redis.call('ZCARD', KEYS[1])
"""


def _encode(args) -> bytes:
    """RESP bulk strings for ``args`` (str or int), in one buffer."""
    parts = []
    for arg in args:
        data = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class _Held:
    """A pool connection one thread keeps for itself; back to the pool when the thread ends."""

    def __init__(self, pool):
        self.pool = pool
        self.connection = pool.get_connection()

    def __del__(self):
        try:
            self.pool.release(self.connection)
        except Exception:  # noqa: S110 - the pool may already be closed at interpreter exit
            pass


class _Channel(threading.local):
    """This thread's own connection for the consume script (taken from the pool on first use)."""

    held = None
    generation = -1


# Bumped in a forked child, so it never shares its parent's sockets (a pre-forking server).
_generation = 0


def _after_fork() -> None:
    global _generation
    _generation += 1


os.register_at_fork(after_in_child=_after_fork)


class RedisMeterStore(MeterStore):
    prefix = "meter"

    def __init__(self, url: str | None = None, client=None):
        if client is None:
            import redis
            from django.conf import settings

            client = redis.Redis.from_url(url or settings.REDIS_URL)
        self.client = client
        self._consume = client.register_script(CONSUME)
        self._merge = client.register_script(MERGE)
        self._channel = _Channel()
        # The consume's RESP frame up to the key: EVALSHA <sha> 1, then key and five arguments follow.
        sha = self._consume.sha.encode()
        self._consume_head = b"*9\r\n$7\r\nEVALSHA\r\n$%d\r\n%s\r\n$1\r\n1\r\n" % (len(sha), sha)

    def _wire(self):
        """This thread's connection, connected (a new one in a new thread or a forked process)."""
        channel = self._channel
        if channel.generation != _generation:  # a new thread, or a forked process
            channel.held = _Held(self.client.connection_pool)
            channel.generation = _generation
        connection = channel.held.connection
        if connection._sock is None:
            connection.connect()
        return connection

    def _consume_raw(self, frame_tail: bytes) -> tuple[int, int]:
        """Run the consume script with the encoded key and arguments ``frame_tail``; ``(used, already)``.

        The same retries as ``_evalsha``: a dropped connection is reopened (twice at most),
        and a script the server lost is loaded again.
        """
        for attempt in range(3):
            connection = self._wire()
            sock = connection._sock
            try:
                sock.sendall(self._consume_head + frame_tail)
                reply = sock.recv(256)
                # "*2\r\n:<used>\r\n:<0|1>\r\n" ends at its third line; an error is one line.
                while reply.count(b"\r\n") < (1 if reply[:1] == b"-" else 3):
                    more = sock.recv(4096)
                    if not more:
                        raise ConnectionError("Redis closed the connection")
                    reply += more
            except (OSError, ConnectionError) as error:  # socket.timeout is an OSError
                connection.disconnect()
                if attempt == 2:
                    raise redis_errors.ConnectionError(f"meter store: {error}") from error
                continue
            if reply[:1] == b"-":
                if reply.startswith(b"-NOSCRIPT"):
                    connection.send_command("SCRIPT", "LOAD", self._consume.script)
                    connection.read_response()
                    continue
                raise redis_errors.ResponseError(reply[1:].decode(errors="replace").strip())
            lines = reply.split(b"\r\n")
            if lines[0] != b"*2" or len(lines) != 4:
                connection.disconnect()  # never reuse a connection whose replies are out of step
                raise redis_errors.InvalidResponse(f"meter store: unexpected reply {reply[:64]!r}")
            return int(lines[1][1:]), int(lines[2][1:])
        raise RuntimeError("the meter script could not be loaded")  # pragma: no cover

    def _evalsha(self, script, key: str, *args):
        """Run ``script`` on one key over this thread's connection; the reply.

        Reconnects (twice at most) when the connection dropped (the server restarted, or
        closed an idle one), and reloads the script if the server no longer has it. A retry
        is safe: a reply that never arrived means the script either did not run, or ran and
        counted the article, which the retry then finds as already read.
        """
        connection = self._wire()
        for attempt in range(3):
            try:
                connection.send_command("EVALSHA", script.sha, 1, key, *args)
                return connection.read_response()
            except redis_errors.NoScriptError:
                connection.send_command("SCRIPT", "LOAD", script.script)
                connection.read_response()
            except (redis_errors.ConnectionError, redis_errors.TimeoutError):
                connection.disconnect()
                if attempt == 2:
                    raise
        raise RuntimeError("the meter script could not be loaded")  # pragma: no cover

    def key(self, reader: str, window) -> str:
        # The reader in braces is a Redis Cluster hash tag: all of one reader's windows share a slot.
        return f"{self.prefix}:{{{reader}}}:{window.key}"

    @staticmethod
    def _ttl(window, now: dt.datetime) -> int:
        return max(1, math.ceil((expiry(window, now) - now).total_seconds()))

    def consume(self, reader, window, article_id, limit, now, *, new_reader=False):
        # One script call either way: ``new_reader`` saves nothing here.
        cutoff = int(window.starts.timestamp()) if window.ends is None else 0
        key = self.key(reader, window)
        if key.isascii():  # every key masthead makes; a length in characters is then a length in bytes
            article, limit, at, cutoff, ttl = (
                str(article_id),
                str(limit),
                str(int(now.timestamp())),
                str(cutoff),
                str(self._ttl(window, now)),
            )
            tail = (
                f"${len(key)}\r\n{key}\r\n${len(article)}\r\n{article}\r\n${len(limit)}\r\n{limit}\r\n"
                f"${len(at)}\r\n{at}\r\n${len(cutoff)}\r\n{cutoff}\r\n${len(ttl)}\r\n{ttl}\r\n"
            ).encode()
        else:
            tail = _encode((key, article_id, limit, int(now.timestamp()), cutoff, self._ttl(window, now)))
        used, already = self._consume_raw(tail)
        return meter_state(used, already == 1)

    def peek(self, reader, window, now):
        key = self.key(reader, window)
        low = int(window.starts.timestamp()) if window.ends is None else "-inf"
        return frozenset(int(member) for member in self.client.zrangebyscore(key, low, "+inf"))

    def merge(self, source, source_window, target, target_window, now):
        start = int(target_window.starts.timestamp())
        end = f"({int(target_window.ends.timestamp())}" if target_window.ends else "+inf"
        if source_window.ends is None:
            start = max(start, int(source_window.starts.timestamp()))
        return int(
            self._merge(
                keys=[self.key(target, target_window), self.key(source, source_window)],
                args=[
                    start,
                    end,
                    self._ttl(target_window, now),
                    int(target_window.starts.timestamp()) if target_window.ends is None else 0,
                ],
            )
        )

    def prune(self, now):
        return 0  # every key expires with its window

    def forget(self, reader):
        # SCAN MATCH takes a glob: a reader id (an app's device id can hold anything) must match literally.
        literal = re.sub(r"([\\*?\[\]])", r"\\\1", f"{self.prefix}:{{{reader}}}:")
        for key in self.client.scan_iter(match=literal + "*", count=100):
            self.client.delete(key)
