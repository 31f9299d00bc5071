"""Dates on the billing page and receipts are the publication's calendar days, not UTC's."""

from __future__ import annotations

import datetime as dt

import pytest

from masthead.billing.models import Invoice
from masthead.billing.tests.lifecycle import subscribe

pytestmark = pytest.mark.django_db

# 20:00 UTC on March 15 is already March 16 in Tokyo, the demo publication's zone.
LATE_EVENING_UTC = dt.datetime(2027, 3, 15, 20, 0, tzinfo=dt.UTC)


def test_renewal_and_invoice_dates_are_shown_in_the_publications_zone(client, catalogue, reader, settings):
    settings.PUBLICATION_TIMEZONE = "Asia/Tokyo"
    subscribe(reader, catalogue.monthly, at=LATE_EVENING_UTC)
    client.force_login(reader)

    page = client.get("/account/billing/").content.decode()
    assert "April 16, 2027" in page  # the next renewal, a month after March 16 in Tokyo
    assert "March 16, 2027" in page  # the invoice's date
    invoice = Invoice.objects.get(reader=reader)
    receipt = client.get(f"/account/invoices/{invoice.number}/").content.decode()
    assert "March 16, 2027" in receipt and "March 15, 2027" not in receipt
