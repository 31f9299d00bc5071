"""The Django side of bench/meter: one command per call, run by run.py in a fresh process.

    python bench/meter/worker.py decisions --readers 50000 --ops 60000 --seconds 30 [--migrate]
    python bench/meter/worker.py populate --namespace N --start 0 --stop 10000 --pool 10000 --cookies FILE
    python bench/meter/worker.py article
    python bench/meter/worker.py clear

The environment picks the store and the database exactly as it would for the web server
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
BATCH = 20_000  # rows (or Redis keys) per write when populating a store
WARMUP_OPS = 500


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    decisions = commands.add_parser("decisions", help="in-process decisions/s and latency for the configured store")
    decisions.add_argument("--readers", type=int, default=50_000)
    decisions.add_argument("--ops", type=int, default=60_000, help="decisions per step (at most)")
    decisions.add_argument("--seconds", type=float, default=30.0, help="time limit per step")
    decisions.add_argument("--limit", type=int, default=5)
    decisions.add_argument("--seed", type=int, default=1)
    decisions.add_argument("--migrate", action="store_true", help="run migrate first (a PostgreSQL database)")

    populate = commands.add_parser("populate", help="add readers' windows, write a cookie pool, probe consume")
    populate.add_argument("--namespace", type=int, required=True, help="the population (a 64-bit number)")
    populate.add_argument("--start", type=int, required=True, help="first reader index to add")
    populate.add_argument("--stop", type=int, required=True, help="readers 0..stop-1 exist afterwards")
    populate.add_argument("--exclude-article", type=int, default=0, help="never preload this article")
    populate.add_argument("--pool", type=int, default=10_000, help="signed cookies to write")
    populate.add_argument("--cookies", type=Path, required=True, help="file for the cookie pool")
    populate.add_argument("--probe", type=int, default=2_000, help="consumes to time afterwards (0: none)")
    populate.add_argument("--seed", type=int, default=1)

    commands.add_parser("article", help="the first live metered article: its path and id")
    commands.add_parser("clear", help="empty the configured store (and the decision log)")

    args = parser.parse_args(argv)
    import django

    django.setup()
    result = {
        "decisions": run_decisions,
        "populate": run_populate,
        "article": run_article,
        "clear": run_clear,
    }[args.command](args)
    print("BENCH_JSON " + json.dumps(result), flush=True)
    return 0


# -- readers ---------------------------------------------------------------------------------


def reader_uuid(namespace: int, index: int) -> str:
    """Reader ``index`` of a population: a valid UUID (what the cookie carries), stable per run."""
    return str(uuid.UUID(int=((namespace & (2**64 - 1)) << 64) | index, version=4))


def reader_key(namespace: int, index: int) -> str:
    return f"c:{reader_uuid(namespace, index)}"  # as identity.ReaderId("cookie", ...).key


def signed_cookie(value: str) -> str:
    """``mh_reader=<signed value>``, signed exactly as the ReaderMiddleware signs it.

    Going through ``set_signed_cookie`` keeps this right whatever Django's salt scheme is
    (Django 6.1 salts cookie signatures with ``django.http.cookies.v2:...``, not the older
    ``name + salt``; a cookie signed the old way would be refused and every request would
    mint a new reader).
    """
    from django.http import HttpResponse

    from masthead.metering.identity import COOKIE, SALT

    response = HttpResponse()
    response.set_signed_cookie(COOKIE, value, salt=SALT)
    return f"{COOKIE}={response.cookies[COOKIE].value}"


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
    say(f"{describe_store()}: {args.readers:,} readers, up to {args.ops:,} decisions per step")

    steps = {}
    for number, (name, step) in enumerate(STEPS.items(), start=1):
        namespace = (base << 8) | number  # a fresh population per step
        readers = [reader_key(namespace, index) for index in range(args.readers)]
        ops = [(rng.choice(readers), rng.choice(ARTICLES)) for _ in range(args.ops)]
        warm = [(reader_key(namespace | 0xFF, index), rng.choice(ARTICLES)) for index in range(WARMUP_OPS)]
        step(store, warm, args.limit, deadline=time.monotonic() + 60)  # connections, scripts, caches
        started = time.monotonic()
        latencies, mix = step(store, ops, args.limit, deadline=started + args.seconds)
        elapsed = time.monotonic() - started
        steps[name] = summarise(latencies, elapsed, mix)
        say(f"  {name}: {steps[name]['per_sec']:,.0f}/s, p50 {steps[name]['p50_us']:.0f} µs")
    return {
        "store": settings.METER_STORE,
        "describe": describe_store(),
        "vendor": connection.vendor,
        "readers": args.readers,
        "ops": args.ops,
        "limit": args.limit,
        "event_batch": settings.METER_EVENT_BATCH,
        "steps": steps,
    }


def _context():
    from masthead.lib.dates import publication_zone
    from masthead.metering import policy

    return policy.current_rules(), publication_zone()


def step_consume(store, ops, limit, deadline):
    """The store's atomic step alone: ``store.consume`` on this month's window."""
    from masthead.metering.rules import Allowance
    from masthead.metering.windows import window_for

    _, zone = _context()
    now = dt.datetime.now(dt.UTC)
    window = window_for(Allowance(limit=limit), now, zone)
    latencies, mix = [], Mix(limit)
    clock = time.perf_counter_ns
    for reader, article in ops:
        now = dt.datetime.now(dt.UTC)
        started = clock()
        state = store.consume(reader, window, article, limit, now)
        latencies.append(clock() - started)
        mix.add(state)
        if len(latencies) % 1000 == 0 and time.monotonic() > deadline:
            break
    return latencies, mix


def step_decision(store, ops, limit, deadline, log=False):
    """What ``paywall.gate.article_decision`` does for an anonymous reader: plan, consume, decide.

    With ``log``, also the buffered decision log (``metering.events``) as the page writes it.
    """
    from masthead.lib import clock as masthead_clock
    from masthead.metering import decision as meter
    from masthead.metering import events
    from masthead.metering.models import DecisionEvent
    from masthead.metering.rules import Segment

    rules, zone = _context()
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
            events.record(
                DecisionEvent(
                    reader_key=reader,
                    account_id=None,
                    article_id=article,
                    allowed=decision.allowed,
                    reason=decision.reason.value,
                    used=decision.used,
                    limit=decision.limit,
                    rules_version=decision.rules_version,
                    at=now,
                )
            )
        latencies.append(clock() - started)
        mix.add(state)
        if len(latencies) % 1000 == 0 and time.monotonic() > deadline:
            break
    if log:
        started = clock()
        events.flush()  # what is still buffered is part of the cost
        latencies[-1] += clock() - started
    return latencies, mix


STEPS = {
    "consume": step_consume,
    "decision": step_decision,
    "decision+log": lambda store, ops, limit, deadline: step_decision(store, ops, limit, deadline, log=True),
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


# -- populating a store for the page runs ------------------------------------------------------


def run_populate(args) -> dict:
    from masthead.lib.dates import publication_zone
    from masthead.metering import policy
    from masthead.metering.rules import Segment
    from masthead.metering.stores import get_store
    from masthead.metering.windows import window_for

    rules = policy.current_rules()
    now = dt.datetime.now(dt.UTC)
    # The window the server will consult for an anonymous reader right now.
    window = window_for(rules.allowance(Segment.ANONYMOUS), now, publication_zone())
    limit = rules.allowance(Segment.ANONYMOUS).limit
    rng = random.Random(args.seed * 1_000_003 + args.stop)
    store = get_store()

    started = time.monotonic()
    added = 0
    for first in range(args.start, args.stop, BATCH):
        last = min(first + BATCH, args.stop)
        readers = [
            (reader_key(args.namespace, index), preload_reads(rng, window, now, limit, args))
            for index in range(first, last)
        ]
        write_windows(store, window, now, readers)
        added += len(readers)
        if (added // BATCH) % 10 == 0 or last == args.stop:
            say(f"  {last:,} readers in the store ({time.monotonic() - started:.0f}s)")
    seconds = time.monotonic() - started

    pool = rng.sample(range(args.stop), min(args.pool, args.stop))
    args.cookies.write_text("".join(signed_cookie(reader_uuid(args.namespace, index)) + "\n" for index in pool))

    probe = None
    if args.probe:
        # Exactly the consume a page request makes: a random reader of the population, the page's
        # article (a first read of it, so an UPDATE on the database store).
        sample = rng.sample(range(args.stop), min(args.stop, args.probe + WARMUP_OPS))
        ops = [(reader_key(args.namespace, index), args.exclude_article or 1) for index in sample]
        step_consume(store, ops[:WARMUP_OPS], limit, deadline=time.monotonic() + 60)
        began = time.monotonic()
        latencies, mix = step_consume(store, ops[WARMUP_OPS:], limit, deadline=began + 60)
        probe = summarise(latencies, time.monotonic() - began, mix)
    return {
        "store": describe_store(),
        "window": window.key,
        "limit": limit,
        "added": added,
        "readers": args.stop,
        "seconds": round(seconds, 2),
        "pool": len(pool),
        "probe": probe,
    }


def preload_reads(rng: random.Random, window, now: dt.datetime, limit: int, args) -> dict[int, int]:
    """One to three earlier reads this window, never the page's article and never the limit.

    Every pooled request then gets the full article (first a counted read, then re-reads), so
    the page renders the same way as with metering off and the comparison is like for like.
    """
    choices = [article for article in ARTICLES if article != args.exclude_article]
    start, end = int(window.starts.timestamp()), int(now.timestamp())
    count = rng.randint(1, max(1, min(3, limit - 2)))
    return {article: rng.randint(start, end) for article in rng.sample(choices, count)}


def write_windows(store, window, now: dt.datetime, readers: list[tuple[str, dict[int, int]]]) -> None:
    """Write many readers' windows at once, in the layout the store itself writes."""
    from masthead.metering.stores.base import expiry

    if hasattr(store, "client"):  # RedisMeterStore: one pipeline per batch
        ttl = store._ttl(window, now)
        pipe = store.client.pipeline(transaction=False)
        for key, reads in readers:
            redis_key = store.key(key, window)
            pipe.zadd(redis_key, {str(article): when for article, when in reads.items()})
            pipe.expire(redis_key, ttl)
        pipe.execute()
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
                cursor.execute(f"TRUNCATE {table}")  # noqa: S608 - a model's own table name
            else:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's own table name


def describe_store() -> str:
    from django.conf import settings
    from django.db import connection

    if settings.METER_STORE == "redis":
        return "redis"
    return {"sqlite": "database (SQLite)", "postgresql": "database (PostgreSQL)"}.get(
        connection.vendor, f"database ({connection.vendor})"
    )


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
