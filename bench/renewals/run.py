"""bench/renewals: renew many due subscriptions through the sandbox gateway, and count what it costs.

    .venv/bin/python bench/renewals/run.py                 # 100,000 subscriptions
    .venv/bin/python bench/renewals/run.py --quick         # 5,000
    .venv/bin/python bench/renewals/run.py --count 20000 --workers 2

Everything happens in a throwaway SQLite database under a temporary MASTHEAD_VAR_DIR (removed afterwards): the
settings that would point elsewhere (DATABASE_URL, REDIS_URL, ...) are removed from the environment first, as
bench/_server.py does for its servers. It seeds the due subscriptions with bulk_create, then runs the renewal
job (``billing.lifecycle.renewals_run``, what the periodic task calls) and prints the total time, renewals per
second, queries per renewal (counted on a sample), and duplicate charges, which must be 0. It then runs the job
again, which must find nothing to do. The figures go to bench/out/renewals.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _server import SCRUBBED_ENV  # noqa: E402

SAMPLE = 200  # renewals whose queries are counted
BATCH = 5_000  # rows per bulk_create
UNUSABLE = "!"  # Django's marker for an account that cannot log in with a password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="due subscriptions to renew (default 100000)")
    parser.add_argument("--quick", action="store_true", help="5,000 subscriptions")
    parser.add_argument("--workers", type=int, default=1, help="threads running the renewal job at once")
    parser.add_argument("--declined", type=float, default=0.02, help="share of cards that decline (dunning path)")
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "renewals.json"))
    args = parser.parse_args(argv)
    count = 5_000 if args.quick else args.count

    var_dir = Path(tempfile.mkdtemp(prefix="masthead-bench-renewals-"))
    for name in SCRUBBED_ENV:
        os.environ.pop(name, None)
    os.environ.update(
        {"MASTHEAD_DEMO": "1", "MASTHEAD_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "masthead.settings"}
    )
    try:
        figures = run(count, workers=args.workers, declined=args.declined)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"figures written to {out}")
    return 0 if figures["duplicate_charges"] == 0 and figures["rerun_renewed"] == 0 else 1


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(count: int, *, workers: int, declined: float) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    say("migrating a fresh SQLite database ...")
    call_command("migrate", interactive=False, verbosity=0)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    started = time.perf_counter()
    seed(count, now=now, declined=declined)
    seeded = time.perf_counter() - started
    say(f"seeded {count:,} due subscriptions in {seeded:.1f} s")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.billing import lifecycle
    from masthead.billing.models import Subscription

    # The sample: the first SAMPLE subscriptions, renewed one by one with their queries counted.
    sample = list(Subscription.objects.order_by("pk").values_list("pk", flat=True)[:SAMPLE])
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        for pk in sample:
            lifecycle.subscription_renew(subscription=Subscription(pk=pk), now=now)
        sample_seconds = time.perf_counter() - started
    queries_per_renewal = len(captured.captured_queries) / len(sample)

    say(f"renewing the other {count - len(sample):,} with {workers} worker(s) ...")
    started = time.perf_counter()
    renewed = [0] * workers

    def work(index: int) -> None:
        try:
            renewed[index] = lifecycle.renewals_run(now=now)
        finally:
            connection.close()

    if workers == 1:
        renewed[0] = lifecycle.renewals_run(now=now)
    else:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    total_renewed = sum(renewed) + len(sample)
    rerun = lifecycle.renewals_run(now=now)

    figures = {"count": count, "workers": workers, "seed_seconds": round(seeded, 1)}
    figures |= {
        "renewed": total_renewed,
        "total_seconds": round(elapsed + sample_seconds, 2),
        "renewals_per_second": round(total_renewed / (elapsed + sample_seconds), 1),
        "queries_per_renewal": round(queries_per_renewal, 1),
        "sample": len(sample),
        "rerun_renewed": rerun,
    }
    figures |= outcomes(count)
    report(figures)
    return figures


def seed(count: int, *, now: dt.datetime, declined: float) -> None:
    """``count`` readers, each with a sandbox customer and card, and a monthly subscription whose first period
    ended an hour ago. Every ``1/declined``-th card declines its charges."""
    from django.contrib.auth import get_user_model

    from masthead.billing.models import Customer, PaymentMethod, Plan, Subscription
    from masthead.billing.pricing import add_months
    from masthead.billing.sandbox.models import SandboxCard, SandboxCustomer

    User = get_user_model()
    plan = Plan.objects.create(code="monthly", name="Digital, monthly", amount=1500, interval="month")
    ended = now - dt.timedelta(hours=1)
    started = add_months(ended, -1)
    every = round(1 / declined) if declined else 0
    for first in range(0, count, BATCH):
        numbers = range(first, min(first + BATCH, count))
        users = User.objects.bulk_create(
            User(username=f"r{n}", email=f"r{n}@bench.example", password=UNUSABLE, is_active=True) for n in numbers
        )
        SandboxCustomer.objects.bulk_create(
            SandboxCustomer(
                id=f"cus_sbx_b{n}", email=f"r{n}@bench.example", reader_id=u.pk, idempotency_key=f"b:c:{n}", created=now
            )
            for n, u in zip(numbers, users, strict=True)
        )
        SandboxCard.objects.bulk_create(
            SandboxCard(
                id=f"pm_sbx_b{n}",
                customer_id=f"cus_sbx_b{n}",
                brand="visa",
                last4="4242" if not (every and n % every == 0) else "0341",
                exp_month=12,
                exp_year=now.year + 3,
                fingerprint=f"fp{n}",
                behaviour="decline_charges" if every and n % every == 0 else "succeed",
                idempotency_key=f"b:pm:{n}",
                created=now,
            )
            for n in numbers
        )
        customers = Customer.objects.bulk_create(
            Customer(reader=u, gateway="sandbox", gateway_id=f"cus_sbx_b{n}", email=u.email)
            for n, u in zip(numbers, users, strict=True)
        )
        methods = PaymentMethod.objects.bulk_create(
            PaymentMethod(
                customer=c,
                gateway_id=f"pm_sbx_b{n}",
                brand="visa",
                last4="4242",
                exp_month=12,
                exp_year=now.year + 3,
                fingerprint=f"fp{n}",
                is_default=True,
            )
            for n, c in zip(numbers, customers, strict=True)
        )
        Subscription.objects.bulk_create(
            Subscription(
                reader=u,
                plan=plan,
                status="active",
                started_at=started,
                current_period_start=started,
                current_period_end=ended,
                paid_through=ended,
                payment_method=m,
            )
            for u, m in zip(users, methods, strict=True)
        )
        say(f"  {numbers.stop:,} / {count:,}")


def outcomes(count: int) -> dict:
    """What the renewals did, from the gateway's own records: duplicates are charges beyond one per
    subscription and period (the metadata names the subscription; a second attempt for a period only follows a
    decline, so a second *succeeded* charge is a duplicate)."""
    from masthead.billing.models import Payment, Subscription
    from masthead.billing.sandbox.models import SandboxCharge

    succeeded = Counter(
        meta["invoice"] for meta in SandboxCharge.objects.filter(status="succeeded").values_list("metadata", flat=True)
    )
    keys = Counter(SandboxCharge.objects.values_list("idempotency_key", flat=True))
    paid_periods = Counter(
        Payment.objects.filter(status="succeeded").values_list("invoice__subscription", "invoice__period_index")
    )
    statuses = Counter(Subscription.objects.values_list("status", flat=True))
    return {
        "charges": sum(keys.values()),
        "duplicate_charges": sum(n - 1 for n in succeeded.values() if n > 1)
        + sum(n - 1 for n in keys.values() if n > 1)
        + sum(n - 1 for n in paid_periods.values() if n > 1),
        "active": statuses.get("active", 0),
        "past_due": statuses.get("past_due", 0),
        "missed": count - statuses.get("active", 0) - statuses.get("past_due", 0),
    }


def report(f: dict) -> None:
    print(f"renewals: {f['renewed']:,} of {f['count']:,} due subscriptions, {f['workers']} worker(s)")
    print(f"  total time            {f['total_seconds']:.1f} s (seeding {f['seed_seconds']:.1f} s, not counted)")
    print(f"  renewals per second   {f['renewals_per_second']:,.0f}")
    print(f"  queries per renewal   {f['queries_per_renewal']:.1f} (sample of {f['sample']})")
    print(f"  charges               {f['charges']:,}: {f['active']:,} active, {f['past_due']:,} past due (declined)")
    print(f"  duplicate charges     {f['duplicate_charges']}")
    print(f"  rerun renewed         {f['rerun_renewed']} (must be 0)")
    print(f"  not renewed           {f['missed']} (must be 0)")


if __name__ == "__main__":
    sys.exit(main())
