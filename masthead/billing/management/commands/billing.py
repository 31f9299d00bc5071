"""``masthead billing reconcile``: re-read from Stripe the subscriptions that may have drifted, and mirror them.

Webhooks can be lost (an outage longer than Stripe's three days of retries, an
endpoint misconfigured for a while). This re-fetches every Stripe-run
subscription that is not settled (incomplete, past due, unpaid), whose period
should have renewed by now, or that has not been mirrored for
``--stale-hours``, and applies ``stripe_sync.subscription_mirror`` to it. Safe
to run at any time, as often as wanted: a subscription that matches changes
nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Q

from masthead.billing import stripe_sync
from masthead.billing.gateways import get_gateway
from masthead.billing.models import LIVE_STATUSES, Subscription
from masthead.lib import clock

DRIFTING = ("incomplete", "past_due", "unpaid")


def candidates(*, now: dt.datetime, stale_hours: int):
    """Stripe-run subscriptions worth re-reading, oldest-mirrored first."""
    stale = now - dt.timedelta(hours=stale_hours)
    return (
        Subscription.objects.exclude(gateway_id="")
        .filter(status__in=LIVE_STATUSES)
        .annotate(last_mirrored=Max("ledger__created_at", filter=Q(ledger__kind=stripe_sync.MIRRORED)))
        .filter(
            Q(status__in=DRIFTING)
            | Q(current_period_end__lte=now)
            | Q(last_mirrored__isnull=True)
            | Q(last_mirrored__lt=stale)
        )
        .select_related("reader")
        .order_by("last_mirrored", "pk")
    )


class Command(BaseCommand):
    help = "Billing operations. reconcile: re-read drifting subscriptions from Stripe and mirror them."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        reconcile = commands.add_parser("reconcile", help="re-read drifting subscriptions from Stripe")
        reconcile.add_argument(
            "--stale-hours",
            type=int,
            default=48,
            help="also re-read subscriptions not mirrored for this many hours (default 48)",
        )
        reconcile.add_argument("--limit", type=int, default=1000, help="at most this many subscriptions per run")

    def handle(self, *args, action: str, **options):
        if action == "reconcile":
            self.reconcile(stale_hours=options["stale_hours"], limit=options["limit"])

    def reconcile(self, *, stale_hours: int, limit: int) -> None:
        gateway = get_gateway()
        if gateway.name != stripe_sync.PROVIDER:
            raise CommandError(f"reconcile mirrors Stripe, but BILLING_GATEWAY is {gateway.name}")
        now = clock.now()
        changed = checked = 0
        for subscription in candidates(now=now, stale_hours=stale_hours)[:limit]:
            before = (subscription.status, subscription.paid_through)
            # Fetched now, so it is newer than any webhook still on its way: seen_at is the fetch time.
            fetched = gateway.subscription(subscription.gateway_id)
            mirrored = stripe_sync.subscription_mirror(
                sub=fetched, seen_at=int(clock.now().timestamp()), actor="gateway:stripe"
            )
            checked += 1
            after = (mirrored.status, mirrored.paid_through) if mirrored else before
            if after != before:
                changed += 1
                self.stdout.write(
                    f"{subscription.gateway_id} ({subscription.reader.email if subscription.reader else 'no reader'}):"
                    f" {before[0]} -> {after[0]}, paid through {_date(before[1])} -> {_date(after[1])}"
                )
        self.stdout.write(f"reconciled {checked} subscription(s) with Stripe; {changed} changed")


def _date(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value else "-"
