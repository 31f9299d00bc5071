"""bench/meter: what metering costs, per decision and per page.

    .venv/bin/python bench/meter/run.py            # about 16 minutes
    .venv/bin/python bench/meter/run.py --quick    # about 4 minutes, smaller and noisier

In one run it prints:

1. Decisions per second in one process, with p50/p99 per decision, for each store: the
   database store on SQLite (a copy of the freshly migrated demo database), on PostgreSQL
   (``--postgres URL``, or postgres://postgres@127.0.0.1:5432/masthead_bench when reachable;
   the database is created if missing; with ``?prepare_threshold=5``, and in full runs once
   more without it, to show what preparing the statements saves), and the Redis store
   (``--redis URL``, default redis://127.0.0.1:6379/13; only that database is ever flushed).
   Four steps each over 100k readers, half of them returning: one caller running the bare
   ``store.consume``, the decision (``plan`` + ``consume`` + ``decide``), and the decision
   plus the buffered decision log; then the decision dealt out to 4 threads of the process,
   each with its own connection, as one server worker serves 4 requests at a time. The
   targets judge that per-process figure; the single caller's is printed above it.
2. The anonymous metered article page with metering on and with ``METER_ENABLED=0``: two
   servers on the same demo newsroom, measured in alternating chunks so that a change in the
   machine's load hits both alike. "On" is measured without cookies (every request a new
   reader: a minted id, an INSERT) and with the signed cookies of returning readers
   (bench/meter/cookies.lua). Overhead = 1 - on/off. For the database store on the demo's
   SQLite and, when Redis answers, for ``METER_STORE=redis``.
3. Flatness: the same pooled page and its "off" twin again once the store holds 1M readers'
   windows (100k with --quick) instead of 10k, and an in-process probe of the page's
   ``consume`` at both sizes.

Targets (the issue): per process, >= 20,000 decisions/s on Redis and >= 5,000 on the database
store; metering costs <= 15% of the page's throughput; page cost flat from 10k to 1M readers.
Figures go to bench/out/meter.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
sys.path.insert(0, str(BENCH))

import _wrk  # noqa: E402
from _server import REPO, SCRUBBED_ENV, DemoServer, ServerError, cpu_count  # noqa: E402

OUT = BENCH / "out" / "meter.json"
WORKER = HERE / "worker.py"
COOKIE_SCRIPT = HERE / "cookies.lua"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/masthead_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
PREPARED = "prepare_threshold=5"  # a DATABASE_URL query: lets the meter store's statements be prepared
DIAGNOSES = {"postgresql_not_prepared"}  # rows that show a cost, not a configuration judged by a target

DECISION_TARGETS = {"database": 5_000, "redis": 20_000}  # decisions/s in one process
OVERHEAD_TARGET = 0.15  # 1 - on/off
FLAT_TOLERANCE = 0.10  # the page's CPU per response with the large store at most 10% above the small's
WRK_TIMEOUT = 30  # seconds; see _wrk.run
METER_ENV = ("METER_ENABLED", "METER_STORE", "METER_EVENT_BATCH")

# name: (full run, --quick)
PROFILES = {
    "duration": (20, 5),
    "rounds": (4, 1),
    "warmup": (3, 1),
    "readers": (100_000, 20_000),
    "decisions": (60_000, 20_000),
    "step_seconds": (12.0, 2.0),
    "small": (10_000, 10_000),
    "large": (1_000_000, 100_000),
    "probe": (3_000, 1_000),
}


class BenchError(RuntimeError):
    pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = {
        "benchmark": "meter",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {
            "cpus": cpu_count(),
            "load_average_at_start": rounded(os.getloadavg()),
            "python_loop_ms": python_loop_ms(),
        },
        "versions": {
            "python": platform.python_version(),
            **{name: version_of(name) for name in ("django", "wagtail", "granian", "redis", "psycopg", "hiredis")},
            "wrk": _wrk.wrk_version(),
        },
    }
    scratch = Path(tempfile.mkdtemp(prefix="masthead-bench-meter-"))
    server = DemoServer(
        workers=args.workers, env=meter_env(args, "database", enabled=True), serve_args=serve_args(args)
    )
    redis_url = None
    try:
        redis_url = redis_reachable(args)
        postgres_url = postgres_ready(args)
        report["settings"] = settings_report(args, server, redis_url, postgres_url)
        server.prepare()
        report["article"] = article = worker(server.env(), "article", timeout=120)
        sqlite_dir = copy_sqlite(server, scratch / "sqlite")
        report["decisions"] = measure_decisions(args, scratch, sqlite_dir, postgres_url, redis_url)
        report["pages"], report["flatness"] = {}, {}
        for store in ["database", *(["redis"] if redis_url else [])]:
            pages, flatness = measure_pages(args, server, store, article, redis_url, scratch)
            report["pages"][store], report["flatness"][store] = pages, flatness
    except (BenchError, ServerError, _wrk.WrkError, subprocess.TimeoutExpired) as exc:
        print(f"bench/meter: FAILED\n{exc}", file=sys.stderr)
        return 2
    finally:
        server.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if redis_url:
            flush_redis(redis_url)
    report["seconds"] = round(time.monotonic() - STARTED)
    report["targets"] = verdicts(report)
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    say(f"figures written to {args.out}")
    if args.check and not all(target["met"] for target in report["targets"]):
        return 1
    return 0


def serve_args(args) -> tuple[str, ...]:
    return ("--blocking-threads", str(args.blocking_threads)) if args.blocking_threads else ()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--quick", action="store_true", help="a short run: 5 s per page run, 100k readers at most")
    add("--duration", type=int, help="seconds of wrk per page run, in all (default 20; --quick 5)")
    add("--rounds", type=int, help="chunks each page run is split into, alternating with the others (4; --quick 1)")
    add("--connections", type=int, default=32, help="wrk connections (default 32)")
    add("--threads", type=int, default=2, help="wrk threads (default 2)")
    add("--timeout", type=int, default=WRK_TIMEOUT, help=f"wrk --timeout in seconds (default {WRK_TIMEOUT})")
    add("--workers", type=int, default=None, help=f"workers per server (default: the cores, {cpu_count()})")
    add("--blocking-threads", type=int, help="request threads per server worker (default: masthead serve's)")
    add("--readers", type=int, help="distinct readers per in-process step (100k; --quick 20k)")
    add("--decisions", type=int, help="most decisions per in-process step (60k; --quick 20k)")
    add("--step-seconds", type=float, help="time limit per in-process step (12; --quick 2)")
    add("--small", type=int, help="readers in the store for the first page runs (10k)")
    add("--large", type=int, help="readers in the store for the flatness runs (1M; --quick 100k)")
    add("--pool", type=int, default=10_000, help="returning readers wrk picks cookies from (10k)")
    add("--probe", type=int, help="in-process consumes timed at each store size (3k; --quick 1k)")
    add("--event-batch", type=int, default=1000, help="METER_EVENT_BATCH (default 1000, as in production)")
    add("--postgres", metavar="URL", help=f"PostgreSQL for the database store (default {DEFAULT_POSTGRES})")
    add("--no-postgres", action="store_true", help="skip PostgreSQL")
    add("--redis", metavar="URL", default=DEFAULT_REDIS, help="a Redis database this run may flush")
    add("--no-redis", action="store_true", help="skip Redis")
    add("--out", type=Path, default=OUT, help=f"JSON figures (default {OUT.relative_to(REPO)})")
    add("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    for name, (full, quick) in PROFILES.items():
        if getattr(args, name, None) is None:
            setattr(args, name, quick if args.quick else full)
    args.warmup = min(args.warmup, args.duration)
    if min(args.duration, args.rounds, args.connections, args.threads, args.timeout, args.readers) < 1:
        parser.error("durations, rounds, connections, threads and readers must be at least 1")
    if args.duration < args.rounds:
        parser.error("--duration is split into --rounds chunks of at least a second")
    if not 0 < args.small < args.large:
        parser.error("--small must be at least 1 and below --large")
    if min(args.pool, args.decisions) < 1:
        parser.error("--pool and --decisions must be at least 1")
    return args


# -- environments and the worker -------------------------------------------------------------


def python_loop_ms() -> float:
    """A yardstick for comparing machines: a fixed pure-Python loop, best of five, in ms."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def meter_env(args, store: str, *, enabled: bool, redis_url: str | None = None) -> dict[str, str]:
    """The meter settings every Django process of the bench gets, whatever the developer's shell says."""
    env = {"METER_STORE": store, "METER_ENABLED": "1" if enabled else "0", "METER_EVENT_BATCH": str(args.event_batch)}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def worker_env(var_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    """A scrubbed environment like DemoServer's: demo mode, its own var dir, nothing inherited that matters."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV and key not in METER_ENV}
    env.update(MASTHEAD_DEMO="1", MASTHEAD_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def worker(env: dict[str, str], *command: str, timeout: float) -> dict:
    """Run bench/meter/worker.py in a fresh process; return the figures it printed."""
    result = subprocess.run(
        [sys.executable, str(WORKER), *command],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if result.returncode != 0 or not lines:
        raise BenchError(f"worker.py {' '.join(command)} failed ({result.returncode}):\n{result.stdout[-2000:]}")
    return json.loads(lines[-1].split(" ", 1)[1])


def copy_sqlite(server: DemoServer, var_dir: Path) -> Path:
    """A copy of the freshly seeded (so migrated) demo database, for the in-process SQLite runs.

    Copying saves a second full migrate, which takes a minute on a busy machine; the backup
    API copies a consistent database even if a WAL file is still around.
    """
    var_dir.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(server.var_dir / "masthead.sqlite3")
    target = sqlite3.connect(var_dir / "masthead.sqlite3")
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return var_dir


# -- Redis and PostgreSQL ----------------------------------------------------------------------


def redis_reachable(args) -> str | None:
    if args.no_redis:
        return None
    try:
        import redis
    except ImportError:
        say("redis-py is not installed: skipping the Redis store")
        return None
    url = args.redis
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        client.ping()
        db = client.connection_pool.connection_kwargs.get("db", 0)
        keys = client.dbsize()
        client.flushdb()
    except (redis.RedisError, ValueError) as exc:
        say(f"Redis at {url} does not answer ({exc}): skipping the Redis store")
        return None
    say(f"Redis at {url}: database {db} (had {keys} keys) is flushed before and after each use")
    return url


def flush_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=30).flushdb()
    except redis.RedisError as exc:
        say(f"warning: could not flush {url}: {exc}")


def postgres_ready(args) -> str | None:
    """The PostgreSQL URL to use, its database created if missing; None when there is none to use."""
    if args.no_postgres:
        return None
    url = args.postgres or DEFAULT_POSTGRES
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in {"postgres", "postgresql"} or not re.fullmatch(r"[A-Za-z0-9_]+", name) or parts.query:
        raise BenchError(f"--postgres wants postgres://user@host:port/name (a plain name, no options), not {url}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    env = {**os.environ, "PGCONNECT_TIMEOUT": "3"}

    def psql(sql: str) -> subprocess.CompletedProcess:
        # Through stdin, so psql quotes the name itself (:'name' and :"name"); -c would not.
        return subprocess.run(
            ["psql", admin, "-v", "ON_ERROR_STOP=1", "-v", f"name={name}", "-tA"],
            input=sql,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    try:
        found = psql("SELECT 1 FROM pg_database WHERE datname = :'name';")
    except (OSError, subprocess.TimeoutExpired) as exc:
        found = subprocess.CompletedProcess([], 1, "", str(exc))
    if found.returncode != 0:
        message = f"PostgreSQL at {url} is not reachable: {found.stderr.strip()}"
        if args.postgres:
            raise BenchError(message)
        say(message + "; skipping it")
        return None
    if found.stdout.strip() != "1":
        say(f"creating the PostgreSQL database {name}")
        created = psql('CREATE DATABASE :"name";')
        if created.returncode != 0:
            raise BenchError(f"could not create {name}: {created.stderr.strip()}")
    return url


# -- 1. decisions in one process ---------------------------------------------------------------


def measure_decisions(args, scratch: Path, sqlite_dir: Path, postgres_url, redis_url) -> dict:
    command = ["decisions", "--readers", str(args.readers), "--ops", str(args.decisions)]
    command += ["--seconds", str(args.step_seconds)]
    timeout = len(STEP_LABELS) * (args.step_seconds + 120) + 60
    database = meter_env(args, "database", enabled=True)
    runs = {"sqlite": (worker_env(sqlite_dir, database), [])}
    if postgres_url:
        postgres = worker_env(scratch / "postgres", {**database, "DATABASE_URL": f"{postgres_url}?{PREPARED}"})
        runs["postgresql"] = (postgres, ["--migrate"])
        if not args.quick:
            runs["postgresql_not_prepared"] = ({**postgres, "DATABASE_URL": postgres_url}, [])
    if redis_url:
        # The decision log still goes to the database: here, the SQLite copy.
        runs["redis"] = (worker_env(sqlite_dir, meter_env(args, "redis", enabled=True, redis_url=redis_url)), [])
    results = {}
    for name, (env, extra) in runs.items():
        say(f"in-process decisions: {name}")
        results[name] = worker(env, *command, *extra, timeout=timeout + (900 if extra else 0))
    if redis_url:
        flush_redis(redis_url)
    return results


# -- 2 and 3. pages ------------------------------------------------------------------------------


def measure_pages(args, server: DemoServer, store: str, article: dict, redis_url, scratch: Path):
    """The page with metering off and on, then flatness: the same with a large store."""
    path = article["path"]
    env = meter_env(args, store, enabled=True, redis_url=redis_url if store == "redis" else None)
    server.extra_env = dict(env)
    worker(server.env(), "clear", timeout=300)
    namespace = random.getrandbits(64)
    cookies = {size: scratch / f"{store}-{size}.cookies" for size in ("small", "large")}

    def populate(size: str, start: int, stop: int) -> dict:
        say(f"{store} store: filling in readers {start:,} to {stop:,}")
        command = ["populate", "--namespace", str(namespace), "--exclude-article", str(article["id"])]
        command += ["--start", str(start), "--stop", str(stop), "--cookies", str(cookies[size])]
        command += ["--pool", str(args.pool)]
        return worker(server.env(), *command, timeout=1800)

    def probe(readers: int) -> dict | None:
        # After the page runs of this size, and with an article no page shows, so it never
        # changes what the page runs find.
        if not args.probe:
            return None
        say(f"{store} store: timing {args.probe:,} consumes in-process with {readers:,} readers in the store")
        command = ["probe", "--namespace", str(namespace), "--readers", str(readers), "--count", str(args.probe)]
        return worker(server.env(), *command, timeout=600)

    small = populate("small", 0, args.small)
    # A twin on the same newsroom and database with metering off, so on and off alternate.
    twin = DemoServer(
        workers=args.workers, var_dir=server.var_dir, env={**env, "METER_ENABLED": "0"}, serve_args=server.serve_args
    )
    try:
        say(f"{store} store: starting the metered server and its unmetered twin")
        server.start()
        twin.start()
        check_page(twin, path, mints=False)
        check_page(server, path, mints=True)
        check_page(server, path, mints=False, cookie=first_line(cookies["small"]))
        small_runs = alternate(
            args,
            path,
            {"off": (twin, None), "on_new": (server, None), "on_pooled": (server, cookies["small"])},
            label=f"{store} store, {args.small:,} readers",
        )
        small["probe"] = probe(args.small)
        large = populate("large", args.small, args.large)
        check_page(server, path, mints=False, cookie=first_line(cookies["large"]))
        large_runs = alternate(
            args,
            path,
            {"off": (twin, None), "on_pooled": (server, cookies["large"])},
            label=f"{store} store, {args.large:,} readers",
        )
        large["probe"] = probe(args.large)
    except BaseException:
        for each in (server, twin):
            if each.process is not None and (tail := each.log_tail()):
                say(f"the log of the server on port {each.port} ends with:\n{tail}")
        raise
    finally:
        twin.close()
        server.stop()

    def overhead(on: dict, off: dict) -> float:
        return 1 - on["requests_per_sec"] / off["requests_per_sec"]

    def cpu_overhead(on: dict, off: dict) -> float | None:
        # What req/s would lose if the server were bound by its own CPU alone.
        if on["server_cpu_ms"] is None or off["server_cpu_ms"] is None:
            return None
        return 1 - off["server_cpu_ms"] / on["server_cpu_ms"]

    pages = {
        "store": store,
        "small": {"readers": args.small, "populate": small, "runs": small_runs},
        "large": {"readers": args.large, "populate": large, "runs": large_runs},
        "overhead": {
            "on_new": overhead(small_runs["on_new"], small_runs["off"]),
            "on_pooled": overhead(small_runs["on_pooled"], small_runs["off"]),
            "on_pooled_large": overhead(large_runs["on_pooled"], large_runs["off"]),
        },
        "cpu_overhead": {
            "on_new": cpu_overhead(small_runs["on_new"], small_runs["off"]),
            "on_pooled": cpu_overhead(small_runs["on_pooled"], small_runs["off"]),
            "on_pooled_large": cpu_overhead(large_runs["on_pooled"], large_runs["off"]),
        },
    }
    return pages, flatness_of(args, small, large, small_runs, large_runs)


def flatness_of(args, small: dict, large: dict, small_runs: dict, large_runs: dict) -> dict:
    """The metered page's cost with the large store against the small one.

    The verdict uses the server's CPU time per response, over the unmetered twin's measured in
    the same alternating rounds: the store's size changes the metered page only, while a
    machine that runs faster or slower between the two sizes moves both (the twin's own CPU per
    response moved by 9% between the sizes in one run here, on a page that never touches the
    store). The raw CPU ratio and req/s are shown beside it, not judged. Without /proc, the
    req/s on/off ratio is judged instead.
    """
    small_on, large_on = small_runs["on_pooled"], large_runs["on_pooled"]
    relative = lambda runs: runs["on_pooled"]["requests_per_sec"] / runs["off"]["requests_per_sec"]  # noqa: E731
    found = {
        "small_readers": args.small,
        "large_readers": args.large,
        "page_ratio": large_on["requests_per_sec"] / small_on["requests_per_sec"],
        "relative_ratio": relative(large_runs) / relative(small_runs),
        "p50_ratio": large_on["p50_ms"] / small_on["p50_ms"],
        "fill_seconds": large["seconds"],
    }
    cpu = [runs[name]["server_cpu_ms"] for runs in (small_runs, large_runs) for name in ("on_pooled", "off")]
    if None not in cpu:
        small_cpu, small_off_cpu, large_cpu, large_off_cpu = cpu
        found["cpu_ratio"] = large_cpu / small_cpu
        found["off_cpu_ratio"] = large_off_cpu / small_off_cpu
        found["relative_cpu_ratio"] = found["cpu_ratio"] / found["off_cpu_ratio"]
        found["flat"] = found["relative_cpu_ratio"] <= 1 + FLAT_TOLERANCE
        found["judged_on"] = "relative_cpu_ratio"
    else:
        found["flat"] = found["relative_ratio"] >= 1 - FLAT_TOLERANCE
        found["judged_on"] = "relative_ratio"
    if small.get("probe") and large.get("probe"):
        found["probe_p50_ratio"] = large["probe"]["p50_us"] / small["probe"]["p50_us"]
    return found


def alternate(args, path: str, variants: dict[str, tuple[DemoServer, Path | None]], label: str) -> dict:
    """Measure the variants in alternating chunks: ``rounds`` chunks each, ``duration`` seconds in all.

    Each round starts one variant later, so no variant always follows the same one. Returns,
    per variant, req/s over all its chunks and the request-weighted mean of the chunks' p50
    and p99 (wrk reports percentiles per run, which cannot be merged exactly).
    """
    for name, (server, cookies) in variants.items():
        say(f"  warming up: {label}, {name}")
        wrk(server, path, args.warmup, args, cookies)
        drain(server)
    chunk = args.duration / args.rounds
    chunks: dict[str, list] = {name: [] for name in variants}
    loads = []
    names = list(variants)
    for number in range(args.rounds):
        loads.append(rounded(os.getloadavg()))
        say(f"  round {number + 1} of {args.rounds}: {label} ({chunk:.0f}s per run)")
        for name in names[number % len(names) :] + names[: number % len(names)]:
            server, cookies = variants[name]
            cpu = server.cpu_seconds()
            result = wrk(server, path, max(1, round(chunk)), args, cookies)
            # Read before draining: the few requests wrk abandons are then mostly left out.
            used = server.cpu_seconds() - cpu if cpu is not None else None
            chunks[name].append((result, used))
            drain(server)
    return {name: merge(results, loads) for name, results in chunks.items()}


def merge(chunks: list[tuple[_wrk.WrkResult, float | None]], loads: list) -> dict:
    results = [result for result, _ in chunks]
    cpu = [used for _, used in chunks]
    requests = sum(result.requests for result in results)
    seconds = sum(result.seconds for result in results)

    def weighted(percent: str) -> float:
        return sum(result.latency_ms[percent] * result.requests for result in results) / requests

    return {
        "requests_per_sec": requests / seconds,
        "p50_ms": weighted("50"),
        "p99_ms": weighted("99"),
        "requests": requests,
        "seconds": round(seconds, 2),
        # The server's CPU time per request (its process group; wrk not included).
        "server_cpu_ms": sum(cpu) / requests * 1000 if None not in cpu else None,
        "timeouts": sum(result.socket_errors.get("timeout", 0) for result in results),
        "chunks": [
            {"requests_per_sec": result.requests_per_sec, "p50_ms": result.p50, "p99_ms": result.p99}
            for result in results
        ],
        "load_average_per_round": loads,
    }


def wrk(server: DemoServer, path: str, seconds: int, args, cookies: Path | None) -> _wrk.WrkResult:
    url = server.url(path)
    script = {"script": COOKIE_SCRIPT, "script_args": [cookies]} if cookies else {}
    result = _wrk.run(
        url, seconds=seconds, connections=args.connections, threads=args.threads, timeout=args.timeout, **script
    )
    if result.requests == 0:
        raise _wrk.WrkError(f"{url}: no response at all in {result.seconds:.0f}s (try a longer --duration)")
    if result.failed_requests:
        raise _wrk.WrkError(
            f"{url}: {result.non_2xx_3xx} error responses and socket errors {result.socket_errors} "
            f"out of {result.requests} requests; the figures would be meaningless"
        )
    if timeouts := result.socket_errors.get("timeout"):
        say(f"warning: {url}: {timeouts} responses exceeded --timeout and are missing from the latency figures")
    return result


def drain(server: DemoServer) -> None:
    """Let the server finish the requests wrk abandoned, so they are not charged to the next run."""
    if not server.wait_until_idle():
        say("warning: the server was still busy after the last run; figures may be skewed")


def check_page(server: DemoServer, path: str, *, mints: bool, cookie: str | None = None) -> None:
    """The page answers 200 itself, and mints a reader cookie exactly when expected.

    A pooled cookie that the server refused would silently turn every returning reader into
    a new one, so this runs before the pooled runs; with metering off, nothing is minted.
    """
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        headers = {"Host": f"{server.host}:{server.port}"}
        if cookie:
            headers["Cookie"] = cookie
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        minted = any(value.startswith("mh_reader=") for value in response.headers.get_all("Set-Cookie") or [])
    finally:
        conn.close()
    if response.status != 200:
        raise BenchError(f"GET {path} answered {response.status}, not 200")
    if minted != mints:
        what = "minted a reader id" if minted else "minted no reader id"
        raise BenchError(f"GET {path} {'with' if cookie else 'without'} a reader cookie {what}, unexpectedly")


def first_line(path: Path) -> str:
    with path.open() as lines:
        return lines.readline().strip()


# -- the report ----------------------------------------------------------------------------------


def settings_report(args, server: DemoServer, redis_url, postgres_url) -> dict:
    return {
        "wrk": f"-t{args.threads} -c{args.connections} --timeout {args.timeout}s --latency",
        "duration_s": args.duration,
        "rounds": args.rounds,
        "warmup_s": args.warmup,
        "server_workers": server.workers,
        "in_process": {
            "readers": args.readers,
            "decisions_per_step": args.decisions,
            "step_seconds": args.step_seconds,
        },
        "event_batch": args.event_batch,
        "small": args.small,
        "large": args.large,
        "pool": args.pool,
        "probe": args.probe,
        "redis": redis_url,
        "postgres": postgres_url,
    }


def verdicts(report: dict) -> list[dict]:
    found = []
    for name, result in report["decisions"].items():
        if name in DIAGNOSES:
            continue
        store = "redis" if name == "redis" else "database"
        rate = result["steps"][JUDGED_STEP]["per_sec"]
        target = DECISION_TARGETS[store]
        what = f"decisions/s, {result['describe']}"
        found.append({"what": what, "target": target, "value": rate, "met": rate >= target})
    for store, pages in report["pages"].items():
        for run in ("on_new", "on_pooled"):
            value = pages["overhead"][run]
            what = f"metering overhead, {store} store, {RUN_LABELS[run]}"
            found.append(
                {
                    "what": what,
                    "target": OVERHEAD_TARGET,
                    "value": value,
                    "met": value <= OVERHEAD_TARGET,
                    "noisy": noisy(pages, run),
                }
            )
    for store, flatness in report["flatness"].items():
        size = f"{flatness['small_readers']:,} to {flatness['large_readers']:,} readers"
        if flatness["judged_on"] == "relative_cpu_ratio":
            what, target = f"page CPU/response flat, {size}, {store}", 1 + FLAT_TOLERANCE
        else:
            what, target = f"page on/off flat, {size}, {store}", 1 - FLAT_TOLERANCE
        value = flatness[flatness["judged_on"]]
        found.append({"what": what, "target": target, "value": value, "met": flatness["flat"]})
    return found


STEP_LABELS = {
    "consume": "consume",
    "decision": "plan+consume+decide",
    "decision+log": " + decision log",
    "decision_threads": "decision, 4 threads",
}
# The per-process figure the targets judge: the decision in a process serving 4 requests at a time,
# as one `masthead serve` worker does. The single caller's figure ("decision") is printed above it.
JUDGED_STEP = "decision_threads"
RUN_LABELS = {"off": "metering off", "on_new": "on, no cookie", "on_pooled": "on, returning readers"}


def print_report(report: dict) -> None:
    settings = report["settings"]
    print()
    print(
        f"bench/meter  {report['when']}  {report['machine']['cpus']} cores, load average at start "
        + " ".join(f"{load:.2f}" for load in report["machine"]["load_average_at_start"])
        + f", took {report['seconds'] // 60}m{report['seconds'] % 60:02d}s; "
        f"python yardstick {report['machine']['python_loop_ms']:.0f} ms (a 1M-step loop; lower is faster)"
    )
    if report["quick"]:
        print(
            f"QUICK RUN ({settings['duration_s']}s per page run, {settings['large']:,} readers at most, "
            f"{settings['in_process']['step_seconds']:g}s per in-process step, no PostgreSQL diagnosis): "
            "indicative only"
        )
    print_decisions(report)
    print_pages(report)
    print_flatness(report)
    print("targets")
    for target in report["targets"]:
        verdict = ("met" if target["met"] else "MISSED") + (" (noisy)" if target.get("noisy") else "")
        print(f"  {target['what']:<62} {show_target(target):>22}  {verdict}")
    if any(target.get("noisy") for target in report["targets"]):
        print("  (noisy: the rounds disagree by over 20 points, or req/s and CPU overhead by over 15; rerun on a")
        print("  quieter machine, or with a longer --duration and more --rounds)")
    print()


def print_decisions(report: dict) -> None:
    settings = report["settings"]["in_process"]
    print()
    print(
        f"1. decisions in one process (one caller, then 4 threads): {settings['readers']:,} readers (half returning), "
        f"articles 1-50, limit 5, {settings['step_seconds']:g}s or {settings['decisions_per_step']:,} per step"
    )
    header = (
        f"   {'store':<38}{'step':<20}{'per s':>7}{'p50 µs':>8}{'p99 µs':>8}{'CPU µs':>8}"
        f"  {'new':>4}{'added':>6}{'reread':>7}{'walled':>7}  target"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for name, result in report["decisions"].items():
        store = "redis" if name == "redis" else "database"
        for number, (step, row) in enumerate(result["steps"].items()):
            mix = row["mix"]
            target = ""
            if step == JUDGED_STEP and name not in DIAGNOSES:
                met = row["per_sec"] >= DECISION_TARGETS[store]
                target = f">= {DECISION_TARGETS[store]:,}/s {'met' if met else 'MISSED'}"
            label = result["describe"] if number == 0 else ""
            print(
                f"   {label:<38}{STEP_LABELS[step]:<20}{row['per_sec']:>7,.0f}{row['p50_us']:>8,.0f}"
                f"{row['p99_us']:>8,.0f}{row['cpu_us']:>8,.0f}  {mix['new']:>4.0%}{mix['added']:>6.0%}"
                f"{mix['reread']:>7.0%}{mix['walled']:>7.0%}  {target}"
            )
    print("   CPU µs: this process's CPU time per decision (the rest is waiting for the database or Redis)")
    print("   the first three steps are one caller, one decision after another; '4 threads' deals the same")
    print("   decisions out to 4 threads of one process, each with its own connection, as a server worker runs")
    print("   requests; the targets judge that per-process figure")
    if "postgresql_not_prepared" in report["decisions"]:
        print(f"   not prepared: the same PostgreSQL without ?{PREPARED} (a diagnosis, not a target)")
    print("   the decision log goes to the database: for the Redis store, the SQLite copy")


def print_pages(report: dict) -> None:
    if not report["pages"]:
        return
    settings = report["settings"]
    print()
    print(
        f"2. anonymous metered article {report['article']['path']}: wrk {settings['wrk']}, "
        f"{settings['duration_s']}s per run in {settings['rounds']} alternating chunk(s); "
        f"{settings['server_workers']} workers per server"
    )
    header = (
        f"   {'store':<10}{'run':<40}{'req/s':>7}{'p50':>9}{'p99':>9}{'CPU/req':>9}{'overhead':>10}"
        f"{'by round':>13}{'by CPU':>8}   target <= {OVERHEAD_TARGET:.0%}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for store, pages in report["pages"].items():
        runs = pages["small"]["runs"]
        for run in ("off", "on_new", "on_pooled"):
            row = runs[run]
            label = RUN_LABELS[run]
            if run == "on_pooled":
                label += f" ({settings['pool']:,} of {settings['small']:,})"
            cpu = ms(row["server_cpu_ms"]) if row["server_cpu_ms"] is not None else "-"
            line = (
                f"   {store if run == 'off' else '':<10}{label:<40}{row['requests_per_sec']:>7.1f}"
                f"{ms(row['p50_ms']):>9}{ms(row['p99_ms']):>9}{cpu:>9}"
            )
            if run != "off":
                overhead = pages["overhead"][run]
                rounds = [
                    1 - on["requests_per_sec"] / off["requests_per_sec"]
                    for on, off in zip(row["chunks"], runs["off"]["chunks"], strict=True)
                ]
                verdict = "met" if overhead <= OVERHEAD_TARGET else "MISSED"
                by_cpu = pages["cpu_overhead"][run]
                by_cpu = f"{by_cpu:.0%}" if by_cpu is not None else "-"
                line += f"{overhead:>10.1%}{spread(rounds):>13}{by_cpu:>8}   {verdict}"
            print(line)
    print("   overhead = 1 - on/off; no cookie: every request a new reader (a minted id, a first read)")
    print("   p50/p99: request-weighted means over the chunks; by round: the lowest and highest chunk's overhead")
    print("   CPU/req: the server's CPU time per response; by CPU: 1 - off/on of it, the overhead were the server")
    print("   bound by its own CPU alone (when req/s falls further than that, the rest goes to waiting)")


def print_flatness(report: dict) -> None:
    if not report["flatness"]:
        return
    settings = report["settings"]
    print()
    print(
        f"3. flatness: the metered page for returning readers ({settings['pool']:,} drawn from all in the store), "
        "with the unmetered twin alongside"
    )
    header = (
        f"   {'store':<10}{'readers in store':>17}{'req/s':>8}{'off req/s':>11}{'on/off':>8}"
        f"{'p50':>9}{'p99':>9}{'CPU/req':>9}   consume p50 / p99 µs"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for store, flatness in report["flatness"].items():
        pages = report["pages"][store]
        for number, size in enumerate(("small", "large")):
            on, off = pages[size]["runs"]["on_pooled"], pages[size]["runs"]["off"]
            probe = pages[size]["populate"].get("probe")
            cpu = ms(on["server_cpu_ms"]) if on["server_cpu_ms"] is not None else "-"
            print(
                f"   {store if number == 0 else '':<10}{pages[size]['readers']:>17,}{on['requests_per_sec']:>8.1f}"
                f"{off['requests_per_sec']:>11.1f}{on['requests_per_sec'] / off['requests_per_sec']:>8.2f}"
                f"{ms(on['p50_ms']):>9}{ms(on['p99_ms']):>9}{cpu:>9}"
                + (f"   {probe['p50_us']:,.0f} / {probe['p99_us']:,.0f}" if probe else "")
            )
        verdict = "flat" if flatness["flat"] else "NOT FLAT"
        parts = []
        judged_cpu = "relative_cpu_ratio" in flatness
        if judged_cpu:
            judged = flatness["relative_cpu_ratio"]
            parts.append(f"CPU/req over off's x{judged:.2f} ({verdict}: at most x{1 + FLAT_TOLERANCE:.2f})")
            parts.append(f"CPU/req x{flatness['cpu_ratio']:.2f} (off's x{flatness['off_cpu_ratio']:.2f})")
        parts.append(f"req/s x{flatness['page_ratio']:.2f}")
        parts.append(f"on/off x{flatness['relative_ratio']:.2f}" + ("" if judged_cpu else f" ({verdict})"))
        parts.append(f"p50 x{flatness['p50_ratio']:.2f}")
        if "probe_p50_ratio" in flatness:
            parts.append(f"consume p50 x{flatness['probe_p50_ratio']:.2f}")
        print(f"   {'':<10}large/small: " + ", ".join(parts) + f"; filled in {flatness['fill_seconds']:.0f}s")
    print("   the verdict is on CPU/req (the page's cost) over the unmetered twin's in the same rounds: a machine that")
    print("   runs faster or slower between the two sizes moves both alike, and only the metered page reads the store")
    print()


def noisy(pages: dict, run: str) -> bool:
    """Too unsteady to trust: the rounds disagree by over 20 points, or req/s and CPU by over 15."""
    runs = pages["small"]["runs"]
    rounds = [
        1 - on["requests_per_sec"] / off["requests_per_sec"]
        for on, off in zip(runs[run]["chunks"], runs["off"]["chunks"], strict=True)
    ]
    by_cpu = pages["cpu_overhead"][run]
    return max(rounds) - min(rounds) > 0.20 or (by_cpu is not None and abs(pages["overhead"][run] - by_cpu) > 0.15)


def show_target(target: dict) -> str:
    if target["what"].startswith("decisions/s"):
        return f"{target['value']:,.0f} vs >= {target['target']:,}"
    if target["what"].startswith("metering overhead"):
        return f"{target['value']:.1%} vs <= {target['target']:.0%}"
    if target["what"].startswith("page CPU"):
        return f"x{target['value']:.2f} vs <= x{target['target']:.2f}"
    return f"{target['value']:.2f} vs >= {target['target']:.2f}"


def spread(values: list[float]) -> str:
    return f"{min(values):.0%} .. {max(values):.0%}" if len(values) > 1 else ""


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def rounded(values) -> list[float]:
    return [round(value, 2) for value in values]


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "-"


STARTED = time.monotonic()


def say(message: str) -> None:
    elapsed = int(time.monotonic() - STARTED)
    print(f"bench [{elapsed // 60:2d}:{elapsed % 60:02d}]: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
