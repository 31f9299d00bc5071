"""bench/newsletter: send an issue to many recipients through a loopback SMTP sink, and watch speed and memory.

    .venv/bin/python bench/newsletter/run.py                    # 10,000 then 100,000 recipients
    .venv/bin/python bench/newsletter/run.py --quick            # 2,000 then 10,000
    .venv/bin/python bench/newsletter/run.py --count 50000      # one size
    .venv/bin/python bench/newsletter/run.py --workers 1        # one sending worker process

Each size runs in a fresh process with its own throwaway SQLite database under a temporary MASTHEAD_VAR_DIR
(removed afterwards); settings that would point elsewhere (DATABASE_URL, REDIS_URL, EMAIL_*, ...) are removed
from the environment first, as bench/_server.py does. The process seeds a newsletter with N confirmed signups
(bulk_create), starts bench/newsletter/sink.py (a minimal SMTP server on 127.0.0.1 in its own process), makes
it the mail transport (EMAIL_PROVIDER=smtp), and then does what the workers do: ``sending.prepare`` writes the
deliveries in batches, then ``--workers`` separate processes each run ``sending.drain``, claiming batches until
none is left and sending each over one SMTP connection, marking each delivery sent as the server accepts it. It
prints the time to prepare and to send (from the first worker ready to the last done), messages per second, and
resident memory sampled every 20 ms: the preparing process's peak and any one sending worker's peak. The sink
reports how many messages and distinct recipients it received, and any recipient it saw twice, which must be 0.

Target: at least 1,000 messages/s, and a peak RSS that stays flat as the list grows tenfold (recipients are
streamed a batch at a time, never loaded whole). The figures go to bench/out/newsletter.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _server import SCRUBBED_ENV  # noqa: E402

SEED_CHUNK = 5_000
TARGET_PER_SECOND = 1_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, action="append", help="recipients (repeatable; default 10000 100000)")
    parser.add_argument("--quick", action="store_true", help="2,000 then 10,000 recipients")
    parser.add_argument(
        "--workers", type=int, default=3, help="worker processes sending batches at once, as `masthead worker`s do"
    )
    parser.add_argument("--batch-size", type=int, default=500, help="recipients per batch (NEWSLETTER_BATCH_SIZE)")
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "newsletter.json"))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    parser.add_argument("--drain", type=int, help=argparse.SUPPRESS)  # internal: a worker process for an issue
    args = parser.parse_args(argv)
    if args.drain:
        return drain_worker(args.drain)
    if args.one:
        print(json.dumps(run_one(args.one, workers=args.workers, batch_size=args.batch_size)))
        return 0
    counts = args.count or ([2_000, 10_000] if args.quick else [10_000, 100_000])
    results = []
    for count in counts:
        say(f"--- {count:,} recipients ---")
        command = [sys.executable, __file__, "--one", str(count), "--workers", str(args.workers)]
        command += ["--batch-size", str(args.batch_size)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            say(f"the run for {count:,} failed (exit {done.returncode})")
            return 2
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    report(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": results}, indent=2))
    print(f"figures written to {out}")
    ok = all(r["duplicates"] == 0 and r["received"] == r["count"] for r in results)
    return 0 if ok else 1


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mib(pid: int | str = "self") -> float:
    """A process's resident memory now, in MiB (Linux); 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            pages = int(statm.read().split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakSampler:
    """Samples resident memory every 20 ms in a thread: ``peak`` is this process's highest, ``worker_peak`` the
    highest of any one worker process being watched."""

    def __init__(self):
        self.peak = rss_mib()
        self.worker_peak = 0.0
        self.pids: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pids: list[int]) -> None:
        self.pids = pids

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mib())
            for pid in self.pids:
                self.worker_peak = max(self.worker_peak, rss_mib(pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())


def run_one(count: int, *, workers: int, batch_size: int) -> dict:
    var_dir = Path(tempfile.mkdtemp(prefix="masthead-bench-newsletter-"))
    sink = None
    try:
        port_file, count_file = var_dir / "sink.port", var_dir / "sink.json"
        sink = subprocess.Popen([sys.executable, str(Path(__file__).with_name("sink.py")), port_file, count_file])  # noqa: S603
        deadline = time.monotonic() + 10
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.05)
        for name in SCRUBBED_ENV:
            os.environ.pop(name, None)
        os.environ.update(
            {
                "MASTHEAD_DEMO": "1",
                "MASTHEAD_VAR_DIR": str(var_dir),
                "DJANGO_SETTINGS_MODULE": "masthead.settings",
                "EMAIL_PROVIDER": "smtp",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": port_file.read_text(),
                "NEWSLETTER_BATCH_SIZE": str(batch_size),
                "LOG_LEVEL": "WARNING",
            }
        )
        figures = send(count, workers=workers)
        sink.terminate()
        sink.wait(timeout=30)
        received = json.loads(count_file.read_text())
        figures |= {
            "received": received["messages"],
            "distinct_recipients": received["recipients"],
            "duplicates": received["duplicates"],
        }
        return figures
    finally:
        if sink is not None and sink.poll() is None:
            sink.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


def send(count: int, *, workers: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    say("migrating a fresh SQLite database ...")
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    issue = seed(count)
    say(f"seeded {count:,} confirmed signups in {time.perf_counter() - started:.1f} s")

    from masthead.newsletters import actions, sending
    from masthead.newsletters.models import Delivery

    baseline = rss_mib()
    actions.issue_schedule(issue=issue, at=None, actor=None)
    with PeakSampler() as memory:
        started = time.perf_counter()
        batches = sending.prepare(issue.pk)
        prepared = time.perf_counter() - started
        say(f"prepared {len(batches)} batches in {prepared:.1f} s; sending with {workers} worker(s) ...")
        started = time.perf_counter()
        # Worker processes, as `masthead worker`s are: each claims batches until none is left. Their memory is
        # sampled with this process's.
        procs = [
            subprocess.Popen(  # noqa: S603 - our own script
                [sys.executable, __file__, "--drain", str(issue.pk)], stdout=subprocess.PIPE, text=True
            )
            for _ in range(workers)
        ]
        memory.watch([proc.pid for proc in procs])
        reports = []
        for proc in procs:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"a sending worker failed (exit {proc.returncode})")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        sent_seconds = time.perf_counter() - started
    sent = Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).count()
    # From the first worker ready (Django loaded) to the last one done: the sending itself.
    sending_span = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    figures = {
        "count": count,
        "workers": workers,
        "batches": len(batches),
        "prepare_seconds": round(prepared, 2),
        "send_seconds": round(sent_seconds, 2),
        "sent": sent,
        "sending_seconds": round(sending_span, 2),
        "messages_per_second": round(sent / sending_span, 1),
        "messages_per_second_with_startup": round(sent / sent_seconds, 1),
        "messages_per_second_with_prepare": round(sent / (sent_seconds + prepared), 1),
        "rss_before_mib": round(baseline, 1),
        "peak_rss_mib": round(memory.peak, 1),
        "worker_peak_rss_mib": round(memory.worker_peak, 1),
    }
    say(
        f"sent {sent:,} in {sending_span:.1f} s ({sent_seconds:.1f} s with the workers' start-up): "
        f"{figures['messages_per_second']:,.0f} messages/s; "
        f"peak RSS {memory.peak:.0f} MiB preparing (at start {baseline:.0f} MiB), "
        f"{memory.worker_peak:.0f} MiB per sending worker"
    )
    return figures


def drain_worker(issue_id: int) -> int:
    """One sending worker: claim and send batches of ``issue_id`` until none is left (the env is the parent's)."""
    import django

    django.setup()
    from masthead.newsletters import sending

    started = time.time()
    result = sending.drain(issue_id=issue_id)
    print(json.dumps({"sent": result.sent, "started": started, "ended": time.time()}), flush=True)
    return 0


def seed(count: int):
    from masthead.content.tests import factories
    from masthead.lib import clock
    from masthead.newsletters.models import Issue, IssueArticle, Newsletter, Signup

    section = factories.section("Politics")
    stories = [factories.article(section, marker=f"bench{n}x") for n in range(3)]
    newsletter = Newsletter.objects.create(name="The Bench Briefing", slug="bench")
    now = clock.now()
    for first in range(0, count, SEED_CHUNK):
        Signup.objects.bulk_create(
            Signup(
                newsletter=newsletter,
                email=f"reader{n}@bench.example",
                status=Signup.Status.CONFIRMED,
                created_at=now,
                confirmed_at=now,
            )
            for n in range(first, min(first + SEED_CHUNK, count))
        )
    issue = Issue.objects.create(newsletter=newsletter, subject="The bench issue", intro="Good morning.")
    for position, story in enumerate(stories):
        IssueArticle.objects.create(issue=issue, article=story, sort_order=position)
    return issue


def report(results: list[dict]) -> None:
    print()
    print(
        f"{'recipients':>10} {'workers':>7} {'prepare s':>9} {'send s':>7} {'msgs/s':>8} "
        f"{'peak RSS prep':>13} {'peak RSS worker':>15} {'received':>9} {'dupes':>5}"
    )
    for r in results:
        print(
            f"{r['count']:>10,} {r['workers']:>7} {r['prepare_seconds']:>9.1f} {r['sending_seconds']:>7.1f} "
            f"{r['messages_per_second']:>8,.0f} {r['peak_rss_mib']:>9.0f} MiB {r['worker_peak_rss_mib']:>11.0f} MiB "
            f"{r['received']:>9,} {r['duplicates']:>5}"
        )
    slowest = min(r["messages_per_second"] for r in results)
    verdict = "met" if slowest >= TARGET_PER_SECOND else "MISSED"
    print(f"target >= {TARGET_PER_SECOND:,} messages/s: {verdict} (slowest run {slowest:,.0f}/s)")
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(
            f"memory: {large['count'] // max(1, small['count'])}x the recipients; peak RSS preparing "
            f"{small['peak_rss_mib']:.0f} -> {large['peak_rss_mib']:.0f} MiB, per sending worker "
            f"{small['worker_peak_rss_mib']:.0f} -> {large['worker_peak_rss_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    sys.exit(main())
