"""Card updates with Stripe go through its billing portal, opened on "update your payment method"."""

from __future__ import annotations

from masthead.billing.gateways.stripe import StripeGateway
from masthead.billing.tests.stripe_fakes import TEST_KEY, RecordedStripe


def test_it_opens_the_portal_on_the_payment_method_flow():
    fake = RecordedStripe({"POST /v1/billing_portal/sessions": "billing_portal_session.json"})
    gateway = StripeGateway(api_key=TEST_KEY, http_client=fake, max_network_retries=0)

    url = gateway.update_card_session(
        customer_id="cus_QmReader0001", return_url="https://news.example.com/account/billing/", idempotency_key="c1"
    )

    assert url.startswith("https://billing.stripe.com/")
    (sent,) = fake.sent("POST /v1/billing_portal/sessions")
    assert sent["flow_data[type]"] == "payment_method_update"
    assert sent["customer"] == "cus_QmReader0001"
    assert fake.requests[0]["headers"]["Idempotency-Key"] == "c1"
