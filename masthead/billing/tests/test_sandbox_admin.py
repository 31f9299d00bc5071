"""Staff can see what the sandbox processor holds; readers cannot."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from masthead.billing import inbox
from masthead.billing.gateways.base import CardDetails
from masthead.billing.gateways.sandbox import SandboxGateway
from masthead.billing.sandbox import views
from masthead.lib import clock

URL = "/admin/sandbox-gateway/"


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser(email="boss@example.com", password="x")


@pytest.fixture
def activity(db, monkeypatch):
    """A customer with a good card charged and part-refunded, and a card whose charges are declined."""
    monkeypatch.setattr(inbox, "receive", lambda **event: True)
    gateway = SandboxGateway()
    year = clock.now().year + 2
    customer = gateway.create_customer(email="payer@example.com", reader_id=7, idempotency_key="c")
    good = gateway.attach_card(
        customer_id=customer, card=CardDetails("4242424242424242", 9, year, "123"), idempotency_key="pm1"
    )
    bad = gateway.attach_card(
        customer_id=customer, card=CardDetails("5555555555554444", 3, year, "123"), idempotency_key="pm2"
    )
    paid = gateway.charge(
        customer_id=customer, payment_method_id=good.id, amount=123450, currency="USD", idempotency_key="a"
    )
    gateway.refund(charge_id=paid.id, amount=450, idempotency_key="r")
    gateway.attach_card(
        customer_id=customer, card=CardDetails("4000000000000341", 3, year, "123"), idempotency_key="pm3"
    )
    return {"customer": customer, "good": good, "bad": bad, "year": year}


def test_it_shows_charges_cards_and_customers_to_a_superuser(client, superuser, activity):
    client.force_login(superuser)

    charges = client.get(URL).content.decode()
    cards = client.get(URL + "cards/").content.decode()
    customers = client.get(URL + "customers/").content.decode()

    assert "1,234.50 USD" in charges and "4.50 USD" in charges and "succeeded" in charges
    assert "visa •••• 4242" in charges
    assert "visa •••• 4242" in cards and "mastercard •••• 4444" in cards and "visa •••• 0341" in cards
    assert f"09/{activity['year']}" in cards
    assert activity["good"].fingerprint[:8] in cards
    assert activity["good"].fingerprint not in cards
    assert activity["customer"] in customers and "payer@example.com" in customers


def test_it_shows_a_declined_charge_with_its_code(client, superuser, activity):
    gateway = SandboxGateway()
    card = gateway.attach_card(
        customer_id=activity["customer"],
        card=CardDetails("4000000000000341", 1, activity["year"], "123"),
        idempotency_key="pm4",
    )
    gateway.charge(
        customer_id=activity["customer"], payment_method_id=card.id, amount=500, currency="USD", idempotency_key="b"
    )
    client.force_login(superuser)

    html = client.get(URL).content.decode()

    assert "card_declined" in html and "failed" in html and "5.00 USD" in html


def test_it_lists_newest_first_a_page_at_a_time(client, superuser, activity, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    client.force_login(superuser)

    first = client.get(URL + "cards/").content.decode()
    second = client.get(URL + "cards/", {"p": 2}).content.decode()

    assert "•••• 0341" in first and "•••• 4444" in first and "•••• 4242" not in first
    assert "•••• 4242" in second and "Page 2 of 2" in second


def test_it_lets_staff_with_the_permission_in(client, editor, activity):
    editor.user_permissions.add(Permission.objects.get(codename="view_sandboxcharge"))
    client.force_login(editor)

    assert client.get(URL).status_code == 200


def test_it_keeps_out_staff_without_the_permission(client, editor, activity):
    client.force_login(editor)

    response = client.get(URL)

    # Wagtail's admin answers a refused permission with a redirect to its dashboard and a message.
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or response["Location"] == "/admin/"
    assert "payer@example.com" not in response.content.decode()


def test_it_keeps_readers_and_visitors_out(client, reader):
    assert client.get(URL).status_code == 302
    client.force_login(reader)
    assert client.get(URL).status_code in (302, 403)


def test_it_offers_the_page_in_the_settings_menu_only_to_those_allowed(client, superuser, editor):
    client.force_login(superuser)
    assert URL in client.get("/admin/").content.decode()
    client.force_login(editor)
    assert URL not in client.get("/admin/").content.decode()


def test_it_has_no_list_by_another_name(client, superuser):
    client.force_login(superuser)

    assert client.get(URL + "refunds/").status_code == 404
