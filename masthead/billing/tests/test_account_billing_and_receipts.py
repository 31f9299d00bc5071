"""The billing page and receipts: a reader sees their plan, renewal, card and invoices, and nobody else's."""

from __future__ import annotations

import pytest

from masthead.billing import actions
from masthead.billing.models import Invoice
from masthead.billing.tests.conftest import card, new_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(catalogue, reader):
    actions.checkout_submit(key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=reader)
    return reader


def test_the_billing_page_shows_plan_status_renewal_card_and_invoices(client, subscribed):
    client.force_login(subscribed)
    html = client.get("/account/billing/").content.decode()
    invoice = Invoice.objects.get(reader=subscribed)

    assert "Digital, monthly" in html
    assert "Active" in html
    assert "Next renewal" in html and "$15.00" in html
    assert "Visa ending 4242" in html
    assert invoice.number in html


def test_a_receipt_shows_the_invoice_and_how_it_was_paid(client, subscribed):
    client.force_login(subscribed)
    invoice = Invoice.objects.get(reader=subscribed)
    html = client.get(f"/account/invoices/{invoice.number}/").content.decode()

    assert f"Receipt {invoice.number}" in html
    assert "$15.00" in html
    assert "Visa ending 4242" in html
    assert subscribed.email in html


def test_a_reader_cannot_open_another_readers_receipt(client, subscribed, django_user_model):
    other = django_user_model.objects.create_user(email="other@example.com", password="x")
    client.force_login(other)
    invoice = Invoice.objects.get(reader=subscribed)
    assert client.get(f"/account/invoices/{invoice.number}/").status_code == 404


def test_billing_pages_ask_anonymous_visitors_to_log_in(client, subscribed):
    response = client.get("/account/billing/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
