"""The card a Stripe subscription charges is read from its default payment method (Checkout sets it to the card the
reader typed), with Stripe's card fingerprint, which is what "once per card" compares."""

from __future__ import annotations

from masthead.billing.gateways.stripe import StripeGateway
from masthead.billing.tests.stripe_fakes import TEST_KEY, RecordedStripe, recorded

SUBSCRIPTION = "GET /v1/subscriptions/sub_1QmSubscr0001"


def gateway_with(routes) -> tuple[StripeGateway, RecordedStripe]:
    fake = RecordedStripe(routes)
    return StripeGateway(api_key=TEST_KEY, http_client=fake, max_network_retries=0), fake


def test_it_reads_the_expanded_default_payment_method():
    sub = recorded("subscription.json") | {"default_payment_method": recorded("payment_method.json")}
    gateway, fake = gateway_with({SUBSCRIPTION: lambda params: sub})

    card = gateway.subscription_card("sub_1QmSubscr0001")

    assert (card.fingerprint, card.brand, card.last4) == ("Xt5EWLLDS7FJjR1c", "visa", "4242")
    assert fake.sent(SUBSCRIPTION) == [{"expand[0]": "default_payment_method"}]


def test_it_reads_a_payment_method_left_unexpanded():
    gateway, fake = gateway_with(
        {SUBSCRIPTION: "subscription.json", "GET /v1/payment_methods/pm_1QmCard0001": "payment_method.json"}
    )

    assert gateway.subscription_card("sub_1QmSubscr0001").fingerprint == "Xt5EWLLDS7FJjR1c"


def test_it_answers_none_without_a_card():
    sub = recorded("subscription.json") | {"default_payment_method": None}
    gateway, _ = gateway_with({SUBSCRIPTION: lambda params: sub})

    assert gateway.subscription_card("sub_1QmSubscr0001") is None
