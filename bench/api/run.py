"""bench/api: the app API's article endpoint against the HTML article page, same server, same run.

    .venv/bin/python bench/api/run.py [--quick] [--duration 20] [--connections 32]

Seeds the demo newsroom in a temporary var dir, starts ``masthead serve`` on 127.0.0.1 with
WEB_CONCURRENCY = the machine's cores, mints the credentials an app and a browser would hold
(a device token, a subscriber's app token, a subscriber's session cookie), then runs wrk
(``-t2 -c32 --timeout 30s --latency``) against each of these in turn, after a short warm-up,
letting the server go idle between runs:

    hello         /healthz                          the middleware stack alone (the baseline)
    html          the first metered article          anonymous browser: decision, meter write, cached page
    api-device    /api/v1/articles/<id>             anonymous app: token lookup, decision, meter write, JSON
    html-sub      the same article                  signed-in subscriber: decision, page rendered
    api-sub       /api/v1/articles/<id>             subscriber's app token: decision, JSON

Prints req/s, p50 and p99 per target and the api/html ratios, and writes bench/out/api.json.
``--quick`` is ``--duration 5``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

import _wrk  # noqa: E402
from _server import DemoServer, ServerError, cpu_count  # noqa: E402

HEADER_SCRIPT = Path(__file__).resolve().parent / "header.lua"
WARMUP_SECONDS = 3
WRK_TIMEOUT = 30
OUT = BENCH / "out" / "api.json"

# Prints the first metered article's id and path, a device token, a subscriber's app token and
# session cookie, each on a BENCH_ line.
CREDENTIALS = """\
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from masthead.accounts import tokens
from masthead.accounts.models import User
from masthead.content.models import Access, ArticlePage
article = ArticlePage.objects.live().filter(access=Access.METERED).order_by("path").first()
print("BENCH_ARTICLE", article.pk, article.url)
print("BENCH_DEVICE", tokens.device_create()[1])
subscriber = User.objects.get(email="subscriber@example.com")
print("BENCH_APP", tokens.app_token_create(reader=subscriber, name="bench")[1])
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(subscriber.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = subscriber.get_session_auth_hash()
session.create()
print("BENCH_SESSION", settings.SESSION_COOKIE_NAME + "=" + session.session_key)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=20, help="seconds of wrk per target (default 20)")
    parser.add_argument("--quick", action="store_true", help="5 seconds per target")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=None, help=f"server workers (default: cores, {cpu_count()})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON figures (default {OUT.relative_to(BENCH.parent)})")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 5
    if min(args.duration, args.connections, args.threads) < 1:
        parser.error("--duration, --connections and --threads must be at least 1")

    # The API's per-token rate limit would otherwise turn most of a run into 429s.
    env = {"API_RATE_LIMIT": "100000000/s"}
    try:
        with DemoServer(workers=args.workers, env=env) as server:
            try:
                targets = prepare(server)
                load_before = os.getloadavg()
                results = {name: measure(server, path, header, args) for name, path, header in targets}
            except (ServerError, _wrk.WrkError):
                if tail := server.log_tail():
                    say(f"the server's log ends with:\n{tail}")
                raise
            workers = server.workers
    except (ServerError, _wrk.WrkError) as exc:
        print(f"bench/api: FAILED\n{exc}", file=sys.stderr)
        return 2

    report = build_report(args, workers, targets, results, load_before)
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    say(f"figures written to {args.out}")
    return 0


def prepare(server: DemoServer) -> list[tuple[str, str, tuple[str, str] | None]]:
    """Mint the credentials and check every target answers 200 with what it should."""
    found = {}
    for line in server.manage("shell", "-c", CREDENTIALS).splitlines():
        if line.startswith("BENCH_"):
            key, *values = line.split()
            found[key] = values
    if set(found) != {"BENCH_ARTICLE", "BENCH_DEVICE", "BENCH_APP", "BENCH_SESSION"}:
        raise ServerError(f"could not mint the benchmark's credentials: {found}")
    article_id, article_path = found["BENCH_ARTICLE"]
    api_path = f"/api/v1/articles/{article_id}"
    targets = [
        ("hello", "/healthz", None),
        ("html", article_path, None),
        ("api-device", api_path, ("Authorization", f"Bearer {found['BENCH_DEVICE'][0]}")),
        ("html-sub", article_path, ("Cookie", found["BENCH_SESSION"][0])),
        ("api-sub", api_path, ("Authorization", f"Bearer {found['BENCH_APP'][0]}")),
    ]
    for name, path, header in targets:
        check_answers(server, name, path, header)
    return targets


def check_answers(server: DemoServer, name: str, path: str, header: tuple[str, str] | None) -> None:
    """Each target must answer 200 itself (wrk counts redirects as successes), with the whole story."""
    import http.client

    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", path, headers=dict([header]) if header else {})
        response = conn.getresponse()
        status, body = response.status, response.read()
    finally:
        conn.close()
    if status != 200:
        raise ServerError(f"{name}: GET {path} answered {status}, not 200:\n" + body[:500].decode(errors="replace"))
    if name.startswith("api") and not json.loads(body)["access"]["allowed"]:
        raise ServerError(f"{name}: the story is not open to this reader: {json.loads(body)['access']}")


def measure(server: DemoServer, path: str, header: tuple[str, str] | None, args) -> _wrk.WrkResult:
    url = server.url(path)
    say(f"warming up {path}")
    wrk(url, header, min(WARMUP_SECONDS, args.duration), args)
    drain(server)
    say(f"measuring {path}{' with ' + header[0] if header else ''} for {args.duration}s")
    result = wrk(url, header, args.duration, args)
    drain(server)
    return result


def wrk(url: str, header: tuple[str, str] | None, seconds: int, args) -> _wrk.WrkResult:
    result = _wrk.run(
        url,
        seconds=seconds,
        connections=args.connections,
        threads=args.threads,
        timeout=WRK_TIMEOUT,
        script=HEADER_SCRIPT if header else None,
        script_args=header or (),
    )
    if result.requests == 0 or result.failed_requests:
        raise _wrk.WrkError(
            f"{url}: {result.requests} requests, {result.non_2xx_3xx} error responses, socket errors "
            f"{result.socket_errors}; the figures would be meaningless"
        )
    return result


def drain(server: DemoServer) -> None:
    started = time.monotonic()
    if not server.wait_until_idle():
        say("warning: the server was still busy after the last run; figures may be skewed")
    elif (waited := time.monotonic() - started) > 3:
        say(f"waited {waited:.0f}s for the server to finish abandoned requests")


def build_report(args, workers: int, targets, results, load_before) -> dict:
    rate = {name: result.requests_per_sec for name, result in results.items()}
    return {
        "benchmark": "api",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wrk": {
            "version": _wrk.wrk_version(),
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": min(WARMUP_SECONDS, args.duration),
        },
        "server": {
            "command": "masthead serve --no-collectstatic",
            "workers": workers,
            "cpus": cpu_count(),
            "database": "sqlite (fresh demo newsroom)",
            "cache": "locmem",
            "load_average_before": [round(load, 2) for load in load_before],
        },
        "python": platform.python_version(),
        "results": {
            name: {
                "path": path,
                "credential": header[0] if header else None,
                "requests_per_sec": results[name].requests_per_sec,
                "p50_ms": results[name].p50,
                "p99_ms": results[name].p99,
                "requests": results[name].requests,
            }
            for name, path, header in targets
        },
        "ratios": {
            "api-device/html": rate["api-device"] / rate["html"],
            "api-sub/html-sub": rate["api-sub"] / rate["html-sub"],
            "api-device/hello": rate["api-device"] / rate["hello"],
            "html/hello": rate["html"] / rate["hello"],
        },
    }


def print_report(report: dict) -> None:
    wrk, server = report["wrk"], report["server"]
    print()
    print(
        f"bench/api: wrk -t{wrk['threads']} -c{wrk['connections']} -d{wrk['duration_s']}s --latency; "
        f"masthead serve with {server['workers']} workers on {server['cpus']} cores (wrk on the same cores); "
        "load average before: " + " ".join(f"{load:.2f}" for load in server["load_average_before"])
    )
    print()
    header = f"{'target':<11}  {'req/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}  path"
    print(header)
    print("-" * (len(header) + 30))
    for name, row in report["results"].items():
        print(
            f"{name:<11}  {row['requests_per_sec']:>9.1f}  {row['p50_ms']:>8.2f}  {row['p99_ms']:>8.2f}  {row['path']}"
        )
    print()
    for name, ratio in report["ratios"].items():
        print(f"{name:<18} {ratio:.2f}")


def say(message: str) -> None:
    print(f"bench/api: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
