"""Renewals across the publication's daylight-saving changes: periods are counted in UTC, so a change of the
clocks in New York moves no period boundary and no paid_through by an hour."""

from __future__ import annotations

import datetime as dt

import pytest

from masthead.billing.models import Invoice
from masthead.billing.pricing import add_months
from masthead.billing.tests.lifecycle import renew_at, subscribe
from masthead.lib.dates import format_newsroom_date

pytestmark = pytest.mark.django_db

NEW_YORK_MIDNIGHT = dt.datetime(2027, 2, 8, 5, 0, tzinfo=dt.UTC)  # 00:00 EST, a month before clocks go forward


@pytest.mark.parametrize("months", [1, 2, 9, 10])  # around March 14 and November 7, 2027
def test_it_keeps_paid_through_on_the_anchor_across_dst(catalogue, reader, settings, months):
    settings.PUBLICATION_TIMEZONE = "America/New_York"
    subscription = subscribe(reader, catalogue.monthly, at=NEW_YORK_MIDNIGHT)
    for n in range(1, months + 1):
        # The worker runs during the night the clocks change, in New York terms.
        renew_at(add_months(NEW_YORK_MIDNIGHT, n) + dt.timedelta(hours=2))

    subscription.refresh_from_db()
    expected = add_months(NEW_YORK_MIDNIGHT, months + 1)
    assert subscription.paid_through == expected
    assert subscription.paid_through.astimezone(dt.UTC).hour == 5
    assert format_newsroom_date(subscription.paid_through).endswith(f"8, {expected.year}")
    invoice = Invoice.objects.get(subscription=subscription, period_index=months)
    assert (invoice.period_start, invoice.period_end) == (add_months(NEW_YORK_MIDNIGHT, months), expected)
