"""With a gateway that takes cards on its own page, "Change card" sends the reader there and back."""

from __future__ import annotations

import pytest

from masthead.billing import actions
from masthead.billing.gateways import get_gateway, use_gateway
from masthead.billing.tests.conftest import card, new_key

pytestmark = pytest.mark.django_db


class HostedCards:
    """The configured gateway, except that card entry happens on a page of its own (as Stripe's portal)."""

    hosts_card_page = True

    def __init__(self, real):
        self.real = real
        self.sessions = []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def update_card_session(self, *, customer_id, return_url, idempotency_key):
        self.sessions.append((customer_id, return_url, idempotency_key))
        return f"https://pay.example.com/portal/{customer_id}"


def test_change_card_opens_the_gateways_page_and_returns_to_billing(client, catalogue, reader):
    subscription = actions.checkout_submit(
        key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=reader
    ).subscription
    gateway = HostedCards(get_gateway())
    previous = use_gateway(gateway)
    try:
        client.force_login(reader)
        page = client.get("/account/billing/").content.decode()
        assert 'name="card_number"' not in page and "Change card" in page

        response = client.post("/account/billing/card/")
    finally:
        use_gateway(previous)

    customer_id = subscription.payment_method.customer.gateway_id
    assert response.status_code == 302
    assert response["Location"] == f"https://pay.example.com/portal/{customer_id}"
    [(sent_customer, return_url, key)] = gateway.sessions
    assert sent_customer == customer_id
    assert return_url.endswith("/account/billing/") and key
