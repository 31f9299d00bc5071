"""The Django side of bench/meter: one command per call, run by run.py in a fresh process.

    python bench/meter/worker.py decisions --readers 100000 --ops 60000 --seconds 12 [--migrate]
    python bench/meter/worker.py profile --readers 20000 --ops 20000 [--log]
    python bench/meter/worker.py page --requests 3000 [--cookies FILE] [--profile]
    python bench/meter/worker.py populate --namespace N --start 0 --stop 10000 --cookies FILE
    python bench/meter/worker.py probe --namespace N --readers 10000 --count 3000
    python bench/meter/worker.py article
    python bench/meter/worker.py clear

The environment picks the store and the database exactly as it does for the web server
(``METER_STORE``, ``DATABASE_URL``, ``REDIS_URL``, ``MASTHEAD_VAR_DIR``; run.py always sets
``MASTHEAD_DEMO=1``). Progress goes to stderr; the figures are one line on stdout,
``BENCH_JSON {...}``, which run.py reads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")

ARTICLES = range(1, 51)  # the article ids decisions draw from
BATCH = 10_000  # rows (or Redis keys) per write when filling a store
WARMUP_OPS = 500
READ_SETS = 2_000  # distinct preloaded windows to pick from; generating one per reader is slow
PROBE_ARTICLE = 1_000_003  # an article id no page shows and no preloaded window holds

# Writes many readers' windows in one call: ARGV[1] has one line per window, "key score member
# score member ...", ARGV[2] is the TTL. Only for filling a benchmark's own Redis database (the
# keys are not declared in KEYS, which a Redis Cluster would refuse).
FILL = """
for line in string.gmatch(ARGV[1], '[^\\n]+') do
  local fields = {}
  for field in string.gmatch(line, '%S+') do fields[#fields + 1] = field end
  redis.call('ZADD', unpack(fields))
  redis.call('EXPIRE', fields[1], ARGV[2])
end
return 0
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    decisions = commands.add_parser("decisions", help="in-process decisions/s and latency for the configured store")
    decisions.add_argument("--readers", type=int, default=100_000, help="distinct readers per step")
    decisions.add_argument("--returning", type=float, default=0.5, help="share of them with reads already")
    decisions.add_argument("--ops", type=int, default=60_000, help="decisions per step (at most)")
    decisions.add_argument("--seconds", type=float, default=12.0, help="time limit per step")
    decisions.add_argument("--seed", type=int, default=1)
    decisions.add_argument("--migrate", action="store_true", help="run migrate first (a PostgreSQL database)")

    populate = commands.add_parser("populate", help="add readers' windows and write a cookie pool")
    populate.add_argument("--namespace", type=int, required=True, help="the population (a 64-bit number)")
    populate.add_argument("--start", type=int, required=True, help="first reader index to add")
    populate.add_argument("--stop", type=int, required=True, help="readers 0..stop-1 exist afterwards")
    populate.add_argument("--exclude-article", type=int, default=0, help="never preload this article")
    populate.add_argument("--pool", type=int, default=10_000, help="signed cookies to write")
    populate.add_argument("--cookies", type=Path, required=True, help="file for the cookie pool")
    populate.add_argument("--seed", type=int, default=1)

    probe = commands.add_parser("probe", help="time the consume a page makes, for random readers of a population")
    probe.add_argument("--namespace", type=int, required=True, help="the population (a 64-bit number)")
    probe.add_argument("--readers", type=int, required=True, help="readers 0..readers-1 exist")
    probe.add_argument("--count", type=int, default=3_000, help="consumes to time")
    probe.add_argument("--seed", type=int, default=1)

    profile = commands.add_parser("profile", help="cProfile of the decision loop: where one decision's time goes")
    profile.add_argument("--readers", type=int, default=20_000, help="distinct readers (half returning)")
    profile.add_argument("--ops", type=int, default=20_000, help="decisions to profile")
    profile.add_argument("--log", action="store_true", help="include the buffered decision log")
    profile.add_argument("--top", type=int, default=25, help="functions to list, by own time")
    profile.add_argument("--seed", type=int, default=1)

    page = commands.add_parser("page", help="the metered article served in-process: CPU per response, or a profile")
    page.add_argument("--requests", type=int, default=3_000, help="requests to time (after a warm-up)")
    page.add_argument("--cookies", type=Path, help="a cookie pool (from populate): returning readers")
    page.add_argument("--path", help="the page (default: the first live metered article)")
    page.add_argument("--profile", action="store_true", help="list where the time goes, by own time")
    page.add_argument("--top", type=int, default=30, help="functions to list with --profile")
    page.add_argument("--dump", type=Path, help="with --profile, also save the raw profile (pstats) here")
    page.add_argument("--seed", type=int, default=1)

    commands.add_parser("article", help="the first live metered article: its path and id")
    commands.add_parser("clear", help="empty the configured store (and the decision log)")

    args = parser.parse_args(argv)
    import django

    django.setup()
    result = {
        "decisions": run_decisions,
        "populate": run_populate,
        "probe": run_probe,
        "profile": run_profile,
        "page": run_page,
        "article": run_article,
        "clear": run_clear,
    }[args.command](args)
    print("BENCH_JSON " + json.dumps(result), flush=True)
    return 0


# -- readers and their windows --------------------------------------------------------------------


def reader_uuid(namespace: int, index: int) -> str:
    """Reader ``index`` of a population: a valid UUID (what the cookie carries), stable per run."""
    return str(uuid.UUID(int=((namespace & (2**64 - 1)) << 64) | index, version=4))


def reader_key(namespace: int, index: int) -> str:
    return f"c:{reader_uuid(namespace, index)}"  # as identity.ReaderId("cookie", ...).key


def signed_cookie(value: str) -> str:
    """``mh_reader=<signed value>``, signed exactly as the ReaderMiddleware signs it.

    Going through ``set_signed_cookie`` keeps this right whatever Django's salt scheme is:
    Django 6.1 salts cookie signatures with ``django.http.cookies.v2:<len>:<salt><name>``, not
    the older ``name + salt``, and a cookie signed the old way is refused (the server would
    quietly mint a new reader for every request).
    """
    from django.http import HttpResponse

    from masthead.metering.identity import COOKIE, SALT

    response = HttpResponse()
    response.set_signed_cookie(COOKIE, value, salt=SALT)
    return f"{COOKIE}={response.cookies[COOKIE].value}"


def anonymous_window(now: dt.datetime):
    """The window, and its limit, the server consults for an anonymous reader at ``now``."""
    from masthead.lib.dates import publication_zone
    from masthead.metering import policy
    from masthead.metering.rules import Segment
    from masthead.metering.windows import window_for

    allowance = policy.current_rules().allowance(Segment.ANONYMOUS)
    return window_for(allowance, now, publication_zone()), allowance.limit


def read_sets(rng: random.Random, window, now: dt.datetime, counts: range, exclude: int = 0) -> list[dict[int, int]]:
    """Windows to preload: ``counts`` articles each (never ``exclude``), read earlier this window."""
    choices = [article for article in ARTICLES if article != exclude]
    start, end = int(window.starts.timestamp()), int(now.timestamp())
    return [
        {article: rng.randint(start, end) for article in rng.sample(choices, rng.choice(counts))}
        for _ in range(READ_SETS)
    ]


def fill(store, window, now: dt.datetime, keys: list[str], sets: list[dict[int, int]], rng: random.Random) -> None:
    """Write one preloaded window per reader key, in the layout the store itself writes."""
    for first in range(0, len(keys), BATCH):
        batch = keys[first : first + BATCH]
        write_windows(store, window, now, [(key, rng.choice(sets)) for key in batch])


def write_windows(store, window, now: dt.datetime, readers: list[tuple[str, dict[int, int]]]) -> None:
    from masthead.metering.stores.base import expiry

    if hasattr(store, "client"):  # RedisMeterStore: one script call per batch
        lines = "\n".join(
            " ".join([store.key(key, window), *(f"{when} {article}" for article, when in reads.items())])
            for key, reads in readers
        )
        store.client.register_script(FILL)(args=[lines, store._ttl(window, now)])
        return

    from django.db import connection, transaction

    from masthead.metering.models import MeterWindow
    from masthead.metering.stores.database import dump

    meta = MeterWindow._meta
    columns = [meta.get_field(name).column for name in ("reader_key", "window_key", "entries", "expires_at")]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - the model's own table and columns
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    expires = connection.ops.adapt_datetimefield_value(expiry(window, now))
    rows = [(key, window.key, dump(reads), expires) for key, reads in readers]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# -- decisions -------------------------------------------------------------------------------


def run_decisions(args) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from masthead.metering.stores import get_store

    if args.migrate:
        say("migrating the database (the first time takes a minute or two)")
        call_command("migrate", interactive=False, verbosity=0)
    clear_store()
    store = get_store()
    rng = random.Random(args.seed)
    base = rng.getrandbits(48)
    now = dt.datetime.now(dt.UTC)
    window, limit = anonymous_window(now)
    sets = read_sets(rng, window, now, range(1, limit + 1))
    returning = int(args.readers * args.returning)
    say(f"{describe_store()}: {args.readers:,} readers ({returning:,} returning), up to {args.ops:,} decisions a step")

    steps = {}
    for number, (name, step) in enumerate(STEPS.items(), start=1):
        namespace = (base << 8) | number  # a fresh population per step
        readers = [reader_key(namespace, index) for index in range(args.readers)]
        began = time.monotonic()
        fill(store, window, now, readers[:returning], sets, rng)
        filled = time.monotonic() - began
        rng.shuffle(readers)  # so returning and new readers are not in index order below
        ops = [(rng.choice(readers), rng.choice(ARTICLES)) for _ in range(args.ops)]
        warm = [(reader_key(namespace | 0xFF, index), rng.choice(ARTICLES)) for index in range(WARMUP_OPS)]
        step(store, warm, limit, deadline=time.monotonic() + 60)  # connections, scripts, caches
        cpu, started = time.process_time(), time.monotonic()
        latencies, mix = step(store, ops, limit, deadline=started + args.seconds)
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        steps[name] = summarise(latencies, elapsed, mix) | {"cpu_us": cpu / len(latencies) * 1e6, "fill_s": filled}
        row = steps[name]
        say(f"  {name}: {row['per_sec']:,.0f}/s, p50 {row['p50_us']:.0f} µs, {row['cpu_us']:.0f} µs CPU each")
    return {
        "store": settings.METER_STORE,
        "describe": describe_store(),
        "vendor": connection.vendor,
        "database_options": settings.DATABASES["default"].get("OPTIONS", {}),
        "readers": args.readers,
        "returning": returning,
        "ops": args.ops,
        "limit": limit,
        "event_batch": settings.METER_EVENT_BATCH,
        "steps": steps,
    }


def step_consume(store, ops, limit, deadline):
    """The store's atomic step alone: ``store.consume`` on this month's window."""
    window, _ = anonymous_window(dt.datetime.now(dt.UTC))
    latencies, mix = [], Mix(limit)
    clock = time.perf_counter_ns
    for reader, article in ops:
        now = dt.datetime.now(dt.UTC)
        started = clock()
        state = store.consume(reader, window, article, limit, now)
        latencies.append(clock() - started)
        mix.add(state)
        if len(latencies) % 500 == 0 and time.monotonic() > deadline:
            break
    return latencies, mix


def step_decision(store, ops, limit, deadline, log=False):
    """What ``paywall.gate.article_decision`` does for an anonymous reader: plan, consume, decide.

    With ``log``, also the buffered decision log (``metering.events``), as the page writes it.
    """
    from masthead.lib import clock as masthead_clock
    from masthead.lib.dates import publication_zone
    from masthead.metering import decision as meter
    from masthead.metering import events, policy
    from masthead.metering.rules import Segment

    rules, zone = policy.current_rules(), publication_zone()
    reader_facts = meter.ReaderFacts(segment=Segment.ANONYMOUS)
    latencies, mix = [], Mix(limit)
    clock = time.perf_counter_ns
    for reader, article in ops:
        started = clock()
        now = masthead_clock.now()
        facts = meter.ArticleFacts(id=article, access="metered")
        outcome = meter.plan(facts, reader_facts, rules, now, zone)
        state = store.consume(reader, outcome.window, article, outcome.limit, now)
        decision = meter.decide(facts, reader_facts, rules, outcome, state)
        if log:
            events.record_decision(decision, reader_key=reader, account_id=None, article_id=article, at=now)
        latencies.append(clock() - started)
        mix.add(state)
        if len(latencies) % 500 == 0 and time.monotonic() > deadline:
            break
    if log:
        started = clock()
        events.flush()  # what is still buffered is part of the cost
        latencies[-1] += clock() - started
    return latencies, mix


_pool = None
THREADS = 4  # as many as one `masthead serve` worker runs requests on (granian's blocking threads)


def step_decision_threads(store, ops, limit, deadline, threads=THREADS):
    """The decision, as a process serving ``threads`` requests at a time decides: one caller per thread.

    The ops are dealt out to the threads, which start together; each has its own database
    connection (or Redis connection), as a server's request threads do. While one thread
    waits for the database or Redis, another runs Python, so this is the throughput of one
    process, bounded by its CPU (one interpreter lock) and the store, not by one round trip.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    global _pool
    if _pool is None:  # kept for the process, so the warm-up's connections serve the measured run
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="request")
    shares = [ops[number::threads] for number in range(threads)]
    # Each share waits for all the others, so each runs on a thread of its own.
    barrier = threading.Barrier(threads)

    def run(share):
        barrier.wait(timeout=60)
        return step_decision(store, share, limit, deadline)

    results = [future.result() for future in [_pool.submit(run, share) for share in shares]]
    latencies, mix = [], Mix(limit)
    for part_latencies, part_mix in results:
        latencies += part_latencies
        for kind, count in part_mix.counts.items():
            mix.counts[kind] += count
    return latencies, mix


STEPS = {
    "consume": step_consume,
    "decision": step_decision,
    "decision+log": lambda store, ops, limit, deadline: step_decision(store, ops, limit, deadline, log=True),
    "decision_threads": step_decision_threads,
}


class Mix:
    """What each consume found: a new window, an added article, a re-read, or a full window."""

    def __init__(self, limit: int):
        self.limit = limit
        self.counts = {"new": 0, "added": 0, "reread": 0, "walled": 0}

    def add(self, state) -> None:
        if state.already_read:
            self.counts["reread"] += 1
        elif state.used == 0:
            self.counts["new"] += 1
        elif state.used < self.limit:
            self.counts["added"] += 1
        else:
            self.counts["walled"] += 1


def summarise(latencies_ns: list[int], elapsed: float, mix: Mix) -> dict:
    ordered = sorted(latencies_ns)
    count = len(ordered)

    def percentile(share: float) -> float:
        return ordered[min(count - 1, int(share * count))] / 1000

    return {
        "decisions": count,
        "seconds": round(elapsed, 3),
        "per_sec": count / elapsed,
        "p50_us": percentile(0.50),
        "p90_us": percentile(0.90),
        "p99_us": percentile(0.99),
        "max_us": ordered[-1] / 1000,
        "mix": {kind: value / count for kind, value in mix.counts.items()},
    }


# -- filling a store for the page runs ----------------------------------------------------------


def run_populate(args) -> dict:
    from masthead.metering.stores import get_store

    now = dt.datetime.now(dt.UTC)
    window, limit = anonymous_window(now)
    rng = random.Random(args.seed * 1_000_003 + args.stop)
    store = get_store()
    # One to three earlier reads, never the page's article and never up to the limit: every
    # pooled request then gets the full article (a counted read first, re-reads after), so
    # the page renders as it does with metering off and the comparison is like for like.
    sets = read_sets(rng, window, now, range(1, max(2, min(4, limit - 1))), exclude=args.exclude_article)

    started = time.monotonic()
    for first in range(args.start, args.stop, BATCH * 10):
        last = min(first + BATCH * 10, args.stop)
        fill(store, window, now, [reader_key(args.namespace, index) for index in range(first, last)], sets, rng)
        say(f"  {last:,} readers in the store ({time.monotonic() - started:.0f}s)")
    seconds = time.monotonic() - started

    pool = rng.sample(range(args.stop), min(args.pool, args.stop))
    args.cookies.write_text("".join(signed_cookie(reader_uuid(args.namespace, index)) + "\n" for index in pool))

    return {
        "store": describe_store(),
        "window": window.key,
        "limit": limit,
        "added": args.stop - args.start,
        "readers": args.stop,
        "seconds": round(seconds, 2),
        "pool": len(pool),
    }


def run_probe(args) -> dict:
    """The consume a page request makes (a first read, so a write), for random readers.

    The article is one no page shows and no window holds, so every probe adds it, at any size
    of the store, and the page runs never meet a reader the probe has already counted it for.
    """
    from masthead.metering.stores import get_store

    store = get_store()
    _, limit = anonymous_window(dt.datetime.now(dt.UTC))
    rng = random.Random(args.seed * 7_919 + args.readers)
    sample = rng.sample(range(args.readers), min(args.readers, args.count + WARMUP_OPS))
    ops = [(reader_key(args.namespace, index), PROBE_ARTICLE) for index in sample]
    step_consume(store, ops[:WARMUP_OPS], limit, deadline=time.monotonic() + 60)
    cpu, began = time.process_time(), time.monotonic()
    latencies, mix = step_consume(store, ops[WARMUP_OPS:], limit, deadline=began + 60)
    elapsed, cpu = time.monotonic() - began, time.process_time() - cpu
    return (
        {"store": describe_store(), "readers": args.readers}
        | summarise(latencies, elapsed, mix)
        | {"cpu_us": cpu / len(latencies) * 1e6}
    )


def run_profile(args) -> dict:
    """The decision loop under cProfile; the top functions by their own time go to stderr."""
    import cProfile
    import io
    import pstats

    from masthead.metering.stores import get_store

    clear_store()
    store = get_store()
    rng = random.Random(args.seed)
    namespace = rng.getrandbits(64)
    now = dt.datetime.now(dt.UTC)
    window, limit = anonymous_window(now)
    readers = [reader_key(namespace, index) for index in range(args.readers)]
    fill(store, window, now, readers[: args.readers // 2], read_sets(rng, window, now, range(1, limit + 1)), rng)
    ops = [(rng.choice(readers), rng.choice(ARTICLES)) for _ in range(args.ops + WARMUP_OPS)]
    step_decision(store, ops[:WARMUP_OPS], limit, deadline=time.monotonic() + 60, log=args.log)
    profiler = cProfile.Profile()
    began = time.monotonic()
    profiler.enable()
    latencies, _ = step_decision(store, ops[WARMUP_OPS:], limit, deadline=time.monotonic() + 600, log=args.log)
    profiler.disable()
    elapsed = time.monotonic() - began
    report = io.StringIO()
    pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(args.top)
    say(f"{describe_store()}: {len(latencies):,} decisions in {elapsed:.1f}s under the profiler\n{report.getvalue()}")
    return {"store": describe_store(), "decisions": len(latencies), "seconds": round(elapsed, 3)}


def run_page(args) -> dict:
    """The page as a web worker serves it, through Django's WSGI handler, without HTTP.

    Every request is a first visit (no cookie: a minted id and a first read) unless
    ``--cookies`` names a pool, when each carries a returning reader's cookie picked at
    random. ``METER_ENABLED=0`` in the environment gives the unmetered twin. Prints the CPU
    time per response; with ``--profile``, where it goes.
    """
    import cProfile
    import io
    import pstats

    from django.core.handlers.wsgi import WSGIHandler

    path = args.path or run_article(args)["path"]
    pool = args.cookies.read_text().split() if args.cookies else []
    rng = random.Random(args.seed)
    handler = WSGIHandler()

    def serve(count: int) -> int:
        statuses = 0
        for _ in range(count):
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000",
                "HTTP_HOST": "127.0.0.1:8000",
                "REMOTE_ADDR": "127.0.0.1",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(),
                "wsgi.errors": sys.stderr,
            }
            if pool:
                environ["HTTP_COOKIE"] = rng.choice(pool)
            response = handler(environ, lambda status, headers, exc_info=None: None)
            b"".join(response)
            response.close()
            statuses += response.status_code == 200
        return statuses

    if serve(WARMUP_OPS) != WARMUP_OPS:
        raise SystemExit(f"{path} did not answer 200 during the warm-up")
    profiler = cProfile.Profile() if args.profile else None
    cpu, began = time.process_time(), time.monotonic()
    if profiler:
        profiler.enable()
    served = serve(args.requests)
    if profiler:
        profiler.disable()
    elapsed, cpu = time.monotonic() - began, time.process_time() - cpu
    result = {
        "path": path,
        "requests": args.requests,
        "ok": served,
        "returning": bool(pool),
        "cpu_us": cpu / args.requests * 1e6,
        "wall_us": elapsed / args.requests * 1e6,
    }
    say(f"{describe_store()}: {result['cpu_us']:.0f} µs CPU per response ({'returning' if pool else 'new'} readers)")
    if profiler:
        if args.dump:
            profiler.dump_stats(args.dump)
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(args.top)
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(args.top * 2)
        say(report.getvalue())
    return result


# -- small commands --------------------------------------------------------------------------


def run_article(args) -> dict:
    from masthead.content.models import Access, ArticlePage

    # The same article bench/pages measures: the first live metered one in page-tree order.
    article = ArticlePage.objects.live().filter(access=Access.METERED).order_by("path").first()
    if article is None:
        raise SystemExit("the demo newsroom has no live metered article")
    return {"path": article.url, "id": article.pk, "title": article.title}


def run_clear(args) -> dict:
    clear_store()
    return {"store": describe_store()}


def clear_store() -> None:
    """Empty the configured store and the decision log; a Redis store flushes only its own database."""
    from django.conf import settings
    from django.db import connection

    from masthead.metering.models import DecisionEvent, MeterWindow
    from masthead.metering.stores import get_store

    if settings.METER_STORE == "redis":
        get_store().client.flushdb()
    with connection.cursor() as cursor:
        for model in (MeterWindow, DecisionEvent):
            table = connection.ops.quote_name(model._meta.db_table)
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table}")
            else:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's own table name


def describe_store() -> str:
    from django.conf import settings
    from django.db import connection

    if settings.METER_STORE == "redis":
        return "redis"
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(connection.vendor, connection.vendor)
    if connection.vendor == "postgresql" and not settings.DATABASES["default"].get("OPTIONS", {}).get(
        "prepare_threshold"
    ):
        name += ", not prepared"
    return f"database ({name})"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
