"""With Stripe, the checkout page takes the account only, and Pay sends the reader to Stripe Checkout."""

from __future__ import annotations

import pytest

from masthead.billing.gateways import use_gateway
from masthead.billing.gateways.stripe import StripeGateway
from masthead.billing.models import CheckoutAttempt, Customer, Subscription
from masthead.billing.tests.stripe_fakes import TEST_KEY, RecordedStripe, recorded


@pytest.fixture
def stripe_checkout():
    customers = iter(range(1, 100))
    fake = RecordedStripe(
        {
            "POST /v1/customers": lambda params: {**recorded("subscription.json"), "id": f"cus_Qm{next(customers)}"},
            "GET /v1/prices": "price_list_empty.json",
            "POST /v1/prices": "price.json",
            "POST /v1/checkout/sessions": "checkout_session.json",
        }
    )
    previous = use_gateway(StripeGateway(api_key=TEST_KEY, http_client=fake, max_network_retries=0))
    yield fake
    use_gateway(previous)


def test_it_redirects_a_new_reader_to_stripe(client, catalogue, stripe_checkout):
    page = client.get("/subscribe/checkout/?plan=monthly")
    assert b'name="card_number"' not in page.content
    key = page.context["form"]["key"].value()

    response = client.post(
        "/subscribe/checkout/?plan=monthly",
        {"key": key, "email": "new@example.com", "password": "a long enough password"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/")
    customer = Customer.objects.get(gateway="stripe")
    assert customer.reader.email == "new@example.com"
    (session,) = stripe_checkout.sent("POST /v1/checkout/sessions")
    assert session["customer"] == customer.gateway_id
    assert session["metadata[checkout]"] == key
    assert session["success_url"] == "http://testserver/account/billing/"
    assert CheckoutAttempt.objects.get(key=key).status == CheckoutAttempt.Status.OPEN
    assert not Subscription.objects.exists()  # made when Stripe reports the completed checkout
