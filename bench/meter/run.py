"""bench/meter: what metering costs, per decision and per page.

    .venv/bin/python bench/meter/run.py            # about 12 minutes
    .venv/bin/python bench/meter/run.py --quick    # about 4 minutes, smaller figures

In one run it prints:

1. Decisions per second in one process, one thread, and p50/p99 per decision, for each store:
   the database store on SQLite (a copy of the freshly migrated demo database), on PostgreSQL
   (``--postgres URL``, or postgres://postgres@127.0.0.1:5432/masthead_bench when reachable;
   the database is created if missing), and the Redis store (``--redis URL``, default
   redis://127.0.0.1:6379/13; only that database is ever flushed). Three steps each: the bare
   ``store.consume``, the decision (``plan`` + ``consume`` + ``decide``, what the targets are
   about) and the decision plus the buffered decision log, over many distinct readers.
2. The anonymous metered article page, metering on against ``METER_ENABLED=0``: wrk without
   cookies (every request a new reader: a minted id and an INSERT) and with the signed cookies
   of a pool of returning readers (bench/meter/cookies.lua), for the database store on the demo's
   SQLite and, when Redis answers, for ``METER_STORE=redis``. Overhead = 1 - on/off.
3. Flatness: the pooled page with 10k readers' windows in the store, then with 1M (100k with
   --quick), with the same-sized pool drawn from the whole population, and an in-process probe
   of the page's ``consume`` at each size.

Targets (the issue): decisions >= 20,000/s on Redis and >= 5,000/s on the database store, per
process; metering overhead <= 15% of the page's throughput; page cost flat from 10k to 1M
readers. Figures go to bench/out/meter.json.
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

DECISION_TARGETS = {"database": 5_000, "redis": 20_000}  # decisions/s in one process
OVERHEAD_TARGET = 0.15  # 1 - on/off
FLAT_TOLERANCE = 0.10  # page throughput with the large store at least 90% of the small one's
WRK_TIMEOUT = 30  # seconds; see _wrk.run
METER_ENV = ("METER_ENABLED", "METER_STORE", "METER_EVENT_BATCH")

# (full run, --quick)
PROFILES = {
    "duration": (20, 5),
    "warmup": (3, 2),
    "readers": (50_000, 10_000),
    "decisions": (60_000, 12_000),
    "step_seconds": (25.0, 6.0),
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
        "machine": {"cpus": cpu_count(), "load_average_at_start": rounded(os.getloadavg())},
        "versions": {
            "python": platform.python_version(),
            **{name: version_of(name) for name in ("django", "wagtail", "granian", "redis", "psycopg")},
            "wrk": _wrk.wrk_version(),
        },
    }
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="masthead-bench-meter-"))
    server = DemoServer(workers=args.workers, env=meter_env(args, "database", enabled=True))
    redis_url = None
    try:
        redis_url = redis_reachable(args)
        postgres_url = postgres_ready(args)
        report["settings"] = settings_report(args, server, redis_url, postgres_url)
        server.prepare()
        article = worker(server.env(), "article", timeout=120)
        report["article"] = article
        sqlite_copy = copy_sqlite(server, scratch / "sqlite")
        report["decisions"] = measure_decisions(args, scratch, sqlite_copy, postgres_url, redis_url)
        report["pages"], report["flatness"] = {}, {}
        for store in ["database", *(["redis"] if redis_url else [])]:
            pages, flatness = measure_pages(args, server, store, article, redis_url, scratch)
            report["pages"][store], report["flatness"][store] = pages, flatness
    except (BenchError, ServerError, _wrk.WrkError, subprocess.TimeoutExpired) as exc:
        if server.process is not None and (tail := server.log_tail()):
            say(f"the server's log ends with:\n{tail}")
        print(f"bench/meter: FAILED\n{exc}", file=sys.stderr)
        return 2
    finally:
        server.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if redis_url:
            flush_redis(redis_url)
    report["seconds"] = round(time.monotonic() - started)
    report["targets"] = verdicts(report)
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    say(f"figures written to {args.out}")
    if args.check and not all(target["met"] for target in report["targets"]):
        return 1
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run: 5 s per URL, 100k readers at most")
    parser.add_argument("--duration", type=int, help="seconds of wrk per page run (default 20; --quick 5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=int, default=WRK_TIMEOUT, help=f"wrk --timeout, s (default {WRK_TIMEOUT})")
    parser.add_argument("--workers", type=int, default=None, help=f"server workers (default: cores, {cpu_count()})")
    parser.add_argument("--readers", type=int, help="distinct readers in the in-process runs (50k; --quick 10k)")
    parser.add_argument("--decisions", type=int, help="decisions per in-process step (60k; --quick 12k)")
    parser.add_argument("--step-seconds", type=float, help="time limit per in-process step (25; --quick 6)")
    parser.add_argument("--small", type=int, help="readers in the store for the first flatness run (10k)")
    parser.add_argument("--large", type=int, help="readers in the store for the second (1M; --quick 100k)")
    parser.add_argument("--pool", type=int, default=10_000, help="returning readers wrk picks from (10k)")
    parser.add_argument("--probe", type=int, help="in-process consumes timed at each store size (3k; --quick 1k)")
    parser.add_argument("--event-batch", type=int, default=200, help="METER_EVENT_BATCH (default 200)")
    parser.add_argument(
        "--postgres", metavar="URL", help=f"PostgreSQL for the database store (default {DEFAULT_POSTGRES})"
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--redis", metavar="URL", default=DEFAULT_REDIS, help="a Redis database this run may flush")
    parser.add_argument("--no-redis", action="store_true", help="skip Redis")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON figures (default {OUT.relative_to(REPO)})")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    for name, (full, quick) in PROFILES.items():
        if getattr(args, name, None) is None:
            setattr(args, name, quick if args.quick else full)
    args.warmup = min(args.warmup, args.duration)
    if min(args.duration, args.connections, args.threads, args.timeout, args.readers, args.decisions) < 1:
        parser.error("durations, connections, threads, readers and decisions must be at least 1")
    if not 0 < args.small < args.large:
        parser.error("--small must be at least 1 and below --large")
    if args.pool < 1:
        parser.error("--pool must be at least 1")
    return args


# -- environments ----------------------------------------------------------------------------


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
    except (redis.RedisError, ValueError) as exc:
        say(f"Redis at {url} does not answer ({exc}): skipping the Redis store")
        return None
    say(f"Redis at {url}: database {db} ({keys} keys now) is flushed before and after each use")
    client.flushdb()
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
    if parts.scheme not in {"postgres", "postgresql"} or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise BenchError(f"--postgres wants postgres://user@host:port/name (a plain name), not {url}")
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
    steps = [
        "decisions",
        "--readers",
        str(args.readers),
        "--ops",
        str(args.decisions),
        "--seconds",
        str(args.step_seconds),
    ]
    timeout = 3 * (args.step_seconds + 90) + 60
    runs = {"sqlite": worker_env(sqlite_dir, meter_env(args, "database", enabled=True))}
    if postgres_url:
        runs["postgresql"] = worker_env(
            scratch / "postgres", {**meter_env(args, "database", enabled=True), "DATABASE_URL": postgres_url}
        )
    if redis_url:
        # The decision log still goes to the database: here, the SQLite copy.
        runs["redis"] = worker_env(sqlite_dir, meter_env(args, "redis", enabled=True, redis_url=redis_url))
    results = {}
    for name, env in runs.items():
        say(f"in-process decisions: {name}")
        extra = ["--migrate"] if name == "postgresql" else []
        results[name] = worker(env, *steps, *extra, timeout=timeout + (900 if extra else 0))
    if redis_url:
        flush_redis(redis_url)
    return results


# -- 2 and 3. pages ------------------------------------------------------------------------------


def measure_pages(args, server: DemoServer, store: str, article: dict, redis_url, scratch: Path):
    """Metering off, on without cookies, on with a pool of returning readers (small, then large store)."""
    path = article["path"]
    server.extra_env = meter_env(args, store, enabled=False, redis_url=redis_url if store == "redis" else None)
    worker(server.env(), "clear", timeout=300)
    runs = {}

    say(f"{store} store: metering off")
    server.start()
    try:
        check_page(server, path, mints=False)
        runs["off"] = measure(server, path, args)
    finally:
        server.stop()

    server.extra_env["METER_ENABLED"] = "1"
    namespace = random.getrandbits(64)
    small_cookies, large_cookies = scratch / f"{store}-small.cookies", scratch / f"{store}-large.cookies"
    populate = ["populate", "--namespace", str(namespace), "--exclude-article", str(article["id"])]
    populate += ["--pool", str(args.pool), "--probe", str(args.probe)]
    say(f"{store} store: {args.small:,} readers' windows")
    small = worker(
        server.env(),
        *populate,
        *("--start", "0", "--stop", str(args.small), "--cookies", str(small_cookies)),
        timeout=600,
    )
    say(f"{store} store: metering on")
    server.start()
    try:
        check_page(server, path, mints=True)
        check_page(server, path, mints=False, cookie=first_line(small_cookies))
        runs["on_new"] = measure(server, path, args)
        runs["on_pooled"] = measure(server, path, args, cookies=small_cookies)
        say(f"{store} store: growing to {args.large:,} readers' windows")
        large = worker(
            server.env(),
            *populate,
            *("--start", str(args.small), "--stop", str(args.large), "--cookies", str(large_cookies)),
            timeout=1800,
        )
        check_page(server, path, mints=False, cookie=first_line(large_cookies))
        runs["on_pooled_large"] = measure(server, path, args, cookies=large_cookies)
    finally:
        server.stop()

    off = runs["off"]["requests_per_sec"]
    pages = {
        "store": store,
        "runs": runs,
        "overhead": {
            "on_new": 1 - runs["on_new"]["requests_per_sec"] / off,
            "on_pooled": 1 - runs["on_pooled"]["requests_per_sec"] / off,
        },
    }
    flatness = {
        "small": {"readers": args.small, "page": runs["on_pooled"], "populate": small},
        "large": {"readers": args.large, "page": runs["on_pooled_large"], "populate": large},
        "page_ratio": runs["on_pooled_large"]["requests_per_sec"] / runs["on_pooled"]["requests_per_sec"],
    }
    if small["probe"] and large["probe"]:
        flatness["probe_p50_ratio"] = large["probe"]["p50_us"] / small["probe"]["p50_us"]
    return pages, flatness


def measure(server: DemoServer, path: str, args, cookies: Path | None = None) -> dict:
    script = {"script": COOKIE_SCRIPT, "script_args": [cookies]} if cookies else {}
    url = server.url(path)
    say(f"  warming up {path} ({'pooled cookies' if cookies else 'no cookies'})")
    wrk(url, args.warmup, args, **script)
    drain(server)
    load = rounded(os.getloadavg())
    say(f"  measuring for {args.duration}s")
    result = wrk(url, args.duration, args, **script)
    drain(server)
    return {
        "cookies": "pool" if cookies else "none",
        "requests_per_sec": result.requests_per_sec,
        "p50_ms": result.p50,
        "p99_ms": result.p99,
        "latency_ms": result.latency_ms,
        "requests": result.requests,
        "timeouts": result.socket_errors.get("timeout", 0),
        "load_average_before": load,
    }


def wrk(url: str, seconds: int, args, **script) -> _wrk.WrkResult:
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

    A pooled cookie that the server refused would silently turn every "returning reader"
    into a new one, so this runs before each pooled measurement.
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
        "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s --timeout {args.timeout}s --latency",
        "warmup_s": args.warmup,
        "server_workers": server.workers,
        "in_process": {"readers": args.readers, "decisions_per_step": args.decisions, "limit": 5},
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
        store = "redis" if name == "redis" else "database"
        rate = result["steps"]["decision"]["per_sec"]
        target = DECISION_TARGETS[store]
        found.append(
            {"what": f"decisions/s, {result['describe']}", "target": target, "value": rate, "met": rate >= target}
        )
    for store, pages in report["pages"].items():
        for run, overhead in pages["overhead"].items():
            found.append(
                {
                    "what": f"metering overhead, {store} store, {RUN_LABELS[run]}",
                    "target": OVERHEAD_TARGET,
                    "value": overhead,
                    "met": overhead <= OVERHEAD_TARGET,
                }
            )
    for store, flatness in report["flatness"].items():
        ratio = flatness["page_ratio"]
        found.append(
            {
                "what": f"page flat from {flatness['small']['readers']:,} to {flatness['large']['readers']:,} "
                f"readers, {store} store",
                "target": 1 - FLAT_TOLERANCE,
                "value": ratio,
                "met": ratio >= 1 - FLAT_TOLERANCE,
            }
        )
    return found


STEP_LABELS = {"consume": "consume", "decision": "plan+consume+decide", "decision+log": "  + decision log"}
RUN_LABELS = {
    "off": "metering off",
    "on_new": "on, no cookie",
    "on_pooled": "on, returning",
    "on_pooled_large": "on, returning",
}


def print_report(report: dict) -> None:
    settings = report["settings"]
    print()
    print(
        f"bench/meter  {report['when']}  {report['machine']['cpus']} cores, load average at start "
        + " ".join(f"{load:.2f}" for load in report["machine"]["load_average_at_start"])
        + f"  ({report['seconds'] // 60}m{report['seconds'] % 60:02d}s)"
    )
    if report["quick"]:
        print(
            f"QUICK RUN: {settings['wrk']}, {settings['large']:,} readers at most, "
            f"{settings['in_process']['decisions_per_step']:,} decisions per step; not the full figures"
        )
    print_decisions(report)
    print_pages(report)
    print_flatness(report)
    print("targets")
    for target in report["targets"]:
        verdict = "met" if target["met"] else "MISSED"
        print(f"  {target['what']:<64} {show_target(target):>22}  {verdict}")
    print()


def print_decisions(report: dict) -> None:
    settings = report["settings"]["in_process"]
    print()
    print(
        f"1. decisions in one process, one thread: {settings['readers']:,} readers, articles 1-50, "
        f"limit {settings['limit']}, up to {settings['decisions_per_step']:,} decisions per step"
    )
    header = (
        f"   {'store':<22}{'step':<21}{'per second':>11}{'p50 µs':>9}{'p99 µs':>9}"
        f"   {'new':>4} {'added':>5} {'reread':>6} {'walled':>6}  target"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for name, result in report["decisions"].items():
        store = "redis" if name == "redis" else "database"
        for number, (step, row) in enumerate(result["steps"].items()):
            mix = row["mix"]
            target = ""
            if step == "decision":
                met = row["per_sec"] >= DECISION_TARGETS[store]
                target = f">= {DECISION_TARGETS[store]:,}/s {'met' if met else 'MISSED'}"
            label = result["describe"] if number == 0 else ""
            print(
                f"   {label:<22}{STEP_LABELS[step]:<21}{row['per_sec']:>11,.0f}{row['p50_us']:>9.0f}"
                f"{row['p99_us']:>9.0f}   {mix['new']:>4.0%} {mix['added']:>5.0%} {mix['reread']:>6.0%} "
                f"{mix['walled']:>6.0%}  {target}"
            )
    print("   (the decision log goes to the database; for the Redis store, the SQLite copy)")


def print_pages(report: dict) -> None:
    settings = report["settings"]
    if not report["pages"]:
        return
    print()
    print(
        f"2. anonymous metered article {report['article']['path']} (wrk {settings['wrk']}, "
        f"{settings['server_workers']} server workers)"
    )
    header = (
        f"   {'store':<10}{'run':<34}{'req/s':>8}{'p50':>10}{'p99':>10}{'overhead':>10}"
        f"   target <= {OVERHEAD_TARGET:.0%}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for store, pages in report["pages"].items():
        for run in ("off", "on_new", "on_pooled"):
            row = pages["runs"][run]
            label = RUN_LABELS[run]
            if run == "on_pooled":
                label += f" ({settings['pool']:,} of {settings['small']:,})"
            overhead = pages["overhead"].get(run)
            print(
                f"   {store if run == 'off' else '':<10}{label:<34}{row['requests_per_sec']:>8.1f}"
                f"{ms(row['p50_ms']):>10}{ms(row['p99_ms']):>10}"
                + (
                    f"{overhead:>10.1%}   {'met' if overhead <= OVERHEAD_TARGET else 'MISSED'}"
                    if overhead is not None
                    else ""
                )
            )
    print("   overhead = 1 - on/off; 'no cookie': every request a new reader (a minted id, a first read)")


def print_flatness(report: dict) -> None:
    if not report["flatness"]:
        return
    settings = report["settings"]
    print()
    print(f"3. flatness: the same page, {settings['pool']:,} returning readers drawn from all those in the store")
    header = (
        f"   {'store':<10}{'readers in store':>17}{'req/s':>9}{'p50':>10}{'p99':>10}   consume p50/p99 µs (in-process)"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for store, flatness in report["flatness"].items():
        for number, size in enumerate(("small", "large")):
            row, probe = flatness[size]["page"], flatness[size]["populate"]["probe"]
            print(
                f"   {store if number == 0 else '':<10}{flatness[size]['readers']:>17,}{row['requests_per_sec']:>9.1f}"
                f"{ms(row['p50_ms']):>10}{ms(row['p99_ms']):>10}"
                + (f"   {probe['p50_us']:.0f} / {probe['p99_us']:.0f}" if probe else "")
            )
        ratio = flatness["page_ratio"]
        verdict = "flat" if ratio >= 1 - FLAT_TOLERANCE else "NOT FLAT"
        probe = f", consume p50 large/small {flatness['probe_p50_ratio']:.2f}" if "probe_p50_ratio" in flatness else ""
        print(f"   {'':<10}req/s large/small {ratio:.2f} ({verdict} within {FLAT_TOLERANCE:.0%}){probe}")
        print(f"   {'':<10}(filled in {flatness['large']['populate']['seconds']:.0f}s)")
    print()


def show_target(target: dict) -> str:
    if target["what"].startswith("decisions/s"):
        return f"{target['value']:,.0f} vs >= {target['target']:,}"
    if target["what"].startswith("metering overhead"):
        return f"{target['value']:.1%} vs <= {target['target']:.0%}"
    return f"{target['value']:.2f} vs >= {target['target']:.2f}"


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def rounded(values) -> list[float]:
    return [round(value, 2) for value in values]


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
