"""bench/pages: page throughput of the front page and articles against a "hello" view.

    .venv/bin/python bench/pages/run.py [--duration 30] [--connections 32] [--check]

Seeds the demo newsroom in a temporary var dir, starts ``masthead serve`` on 127.0.0.1 and a
free port with WEB_CONCURRENCY = the machine's cores, then runs wrk (``-t2 -c32 -d30s
--timeout 30s --latency``) against /healthz (the hello baseline: every middleware, no
database, no template), the front page, one metered article and one free article, one after
the other, each after a short warm-up, letting the server go idle between runs. Prints req/s,
p50 and p99 per URL and the ratios to hello, and writes the same figures to
bench/out/pages.json.

Target (the issue): the article page reaches at least 40% of the hello view's throughput.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

import _wrk  # noqa: E402
from _server import DemoServer, ServerError, cpu_count  # noqa: E402

TARGET = 0.40  # article req/s as a share of hello req/s
WARMUP_SECONDS = 3
WRK_TIMEOUT = 30  # seconds; see _wrk.run
OUT = BENCH / "out" / "pages.json"

# Prints the paths of the first live metered and the first live free article, in page-tree order.
PICK_ARTICLE = """\
from masthead.content.models import Access, ArticlePage
for access in (Access.METERED, Access.FREE):
    article = ArticlePage.objects.live().filter(access=access).order_by("path").first()
    print("BENCH_ARTICLE", access, article.url if article else "")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=30, help="seconds of wrk per URL (default 30)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--timeout",
        type=int,
        default=WRK_TIMEOUT,
        help=f"wrk --timeout in seconds (default {WRK_TIMEOUT}; wrk's own 2 s drops slow responses "
        "from the latency figures)",
    )
    parser.add_argument("--workers", type=int, default=None, help=f"server workers (default: cores, {cpu_count()})")
    parser.add_argument("--article", default=None, help="article path to measure (default: first metered one)")
    parser.add_argument(
        "--free-article", default=None, help="free article path to measure as well (default: first free one)"
    )
    parser.add_argument(
        "--blocking-threads",
        type=int,
        default=None,
        help="request threads per server worker (default: masthead serve's own)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUT,
        help=f"JSON figures (default {OUT.relative_to(BENCH.parent)})",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when the 40%% target is missed")
    args = parser.parse_args(argv)
    if min(args.duration, args.connections, args.threads, args.timeout) < 1:
        parser.error("--duration, --connections, --threads and --timeout must be at least 1")

    try:
        serve_args = ("--blocking-threads", str(args.blocking_threads)) if args.blocking_threads else ()
        with DemoServer(workers=args.workers, serve_args=serve_args) as server:
            try:
                targets, results, load_before = measure(server, args)
            except (ServerError, _wrk.WrkError):
                if tail := server.log_tail():
                    say(f"the server's log ends with:\n{tail}")
                raise
            workers = server.workers
    except (ServerError, _wrk.WrkError) as exc:
        print(f"bench/pages: FAILED\n{exc}", file=sys.stderr)
        return 2

    report = build_report(args, workers, targets, results)
    report["server"]["load_average_before"] = [round(load, 2) for load in load_before]
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    say(f"figures written to {args.out}")
    if args.check and not report["target"]["met"]:
        return 1
    return 0


def measure(server: DemoServer, args) -> tuple[list[tuple[str, str]], dict, tuple]:
    """Warm up and measure each URL in turn; return the targets, wrk's results, the load average."""
    picked = pick_articles(server) if not (args.article and args.free_article) else {}
    article = args.article or picked["metered"]
    free = args.free_article or picked["free"]
    targets = [("hello", "/healthz"), ("front", "/"), ("article", article), ("free", free)]
    for _, path in targets:
        check_answers(server, path)
    results = {}
    load_before = os.getloadavg()
    for name, path in targets:
        url = server.url(path)
        say(f"warming up {path}")
        wrk(url, min(WARMUP_SECONDS, args.duration), args)
        drain(server)
        say(f"measuring {path} for {args.duration}s")
        results[name] = wrk(url, args.duration, args)
        drain(server)
    return targets, results, load_before


def wrk(url: str, seconds: int, args) -> _wrk.WrkResult:
    result = _wrk.run(
        url,
        seconds=seconds,
        connections=args.connections,
        threads=args.threads,
        timeout=args.timeout,
    )
    return assert_no_errors(result)


def drain(server: DemoServer) -> None:
    """Let the server finish the requests wrk abandoned, so they are not charged to the next run."""
    started = time.monotonic()
    if not server.wait_until_idle():
        say("warning: the server was still busy after the last run; figures may be skewed")
    elif (waited := time.monotonic() - started) > 3:
        say(f"waited {waited:.0f}s for the server to finish abandoned requests")


def pick_articles(server: DemoServer) -> dict[str, str]:
    """The paths of the first live metered and free articles: {"metered": ..., "free": ...}."""
    output = server.manage("shell", "-c", PICK_ARTICLE)
    found = {}
    for line in output.splitlines():
        if line.startswith("BENCH_ARTICLE "):
            _, access, *path = line.split()
            if path:
                found[access] = path[0]
    if set(found) != {"metered", "free"}:
        raise ServerError(f"the demo newsroom needs a live metered and a live free article:\n{output}")
    return found


def serve_command_args(args) -> list[str]:
    return ["--blocking-threads", str(args.blocking_threads)] if args.blocking_threads else []


def check_answers(server: DemoServer, path: str) -> None:
    """Each URL must answer 200 itself: wrk counts redirects as successes."""
    status, body = server.get(path)
    if status != 200:
        raise ServerError(f"GET {path} answered {status}, not 200:\n" + body[:500].decode(errors="replace"))


def assert_no_errors(result: _wrk.WrkResult) -> _wrk.WrkResult:
    if result.requests == 0:
        raise _wrk.WrkError(
            f"{result.url}: no response at all in {result.seconds:.0f}s; "
            "the page is slower than the run (try a longer --duration)"
        )
    if result.failed_requests:
        raise _wrk.WrkError(
            f"{result.url}: {result.non_2xx_3xx} error responses and socket errors "
            f"{result.socket_errors} out of {result.requests} requests; "
            "the figures would be meaningless"
        )
    if result.socket_errors.get("timeout"):
        timeouts = result.socket_errors["timeout"]
        say(
            f"warning: {result.url}: {timeouts} of {result.requests} responses took longer "
            "than --timeout and are missing from its latency figures"
        )
    return result


def build_report(args, workers: int, targets, results) -> dict:
    hello = results["hello"].requests_per_sec
    article_ratio = results["article"].requests_per_sec / hello
    return {
        "benchmark": "pages",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wrk": {
            "version": _wrk.wrk_version(),
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": min(WARMUP_SECONDS, args.duration),
            "timeout_s": args.timeout,
        },
        "server": {
            "command": " ".join(["masthead serve --no-collectstatic", *serve_command_args(args)]),
            "workers": workers,
            "cpus": cpu_count(),
            "database": "sqlite (fresh demo newsroom)",
            "cache": "locmem",
        },
        "versions": {
            "python": platform.python_version(),
            **{name: version_of(name) for name in ("django", "wagtail", "granian")},
        },
        "results": {
            name: {
                "path": path,
                "requests_per_sec": results[name].requests_per_sec,
                "p50_ms": results[name].p50,
                "p99_ms": results[name].p99,
                "latency_ms": results[name].latency_ms,
                "requests": results[name].requests,
                "timeouts": results[name].socket_errors.get("timeout", 0),
            }
            for name, path in targets
        },
        "ratios": {
            "front/hello": results["front"].requests_per_sec / hello,
            "free/hello": results["free"].requests_per_sec / hello,
            "article/hello": article_ratio,
        },
        "target": {"article/hello": TARGET, "met": article_ratio >= TARGET},
    }


def print_report(report: dict) -> None:
    wrk, server = report["wrk"], report["server"]
    results = report["results"]
    labels = {"hello": "hello", "front": "front page", "article": "article", "free": "free"}
    width = max(len(row["path"]) for row in results.values())
    print()
    print(
        f"bench/pages: wrk -t{wrk['threads']} -c{wrk['connections']} -d{wrk['duration_s']}s "
        f"--timeout {wrk['timeout_s']}s --latency\n"
        f"masthead serve with {server['workers']} workers on {server['cpus']} cores "
        "(wrk runs on the same cores); load average before: "
        + " ".join(f"{load:.2f}" for load in server["load_average_before"])
    )
    print()
    header = f"{'':<10}  {'URL':<{width}}  {'req/s':>9}  {'p50':>9}  {'p99':>9}  {'vs hello':>8}"
    print(header)
    print("-" * len(header))
    hello = results["hello"]["requests_per_sec"]
    for name, row in results.items():
        print(
            f"{labels[name]:<10}  {row['path']:<{width}}  {row['requests_per_sec']:>9.1f}  "
            f"{ms(row['p50_ms']):>9}  {ms(row['p99_ms']):>9}  "
            f"{row['requests_per_sec'] / hello:>8.1%}"
        )
    print()
    ratios = report["ratios"]
    print(f"front/hello    {ratios['front/hello']:.1%}")
    print(f"free/hello     {ratios['free/hello']:.1%}")
    print(f"article/hello  {ratios['article/hello']:.1%}")
    verdict = "met" if report["target"]["met"] else "MISSED"
    print(f"target: article/hello >= {report['target']['article/hello']:.0%} ... {verdict}")
    print()


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
