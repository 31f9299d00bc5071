"""Stripe Checkout: one Stripe price per plan version, the offer as a trial or a coupon, every POST keyed.

localstripe has no Checkout, prices or coupons: Stripe's answers are recorded
(fixtures/stripe/) and replayed at the HTTP seam.
"""

from __future__ import annotations

import pytest

from masthead.billing.gateways.stripe import StripeGateway
from masthead.billing.pricing import Interval, OfferKind, OfferTerms, PlanTerms
from masthead.billing.tests.stripe_fakes import TEST_KEY, RecordedStripe, recorded

MONTHLY = PlanTerms(amount=1500, currency="USD", interval=Interval.MONTH, interval_count=1)


def stripe_with(**routes) -> tuple[StripeGateway, RecordedStripe]:
    fake = RecordedStripe(
        {
            "GET /v1/prices": "price_list_empty.json",
            "POST /v1/prices": "price.json",
            "POST /v1/coupons": "coupon.json",
            "POST /v1/checkout/sessions": "checkout_session.json",
            **routes,
        }
    )
    return StripeGateway(api_key=TEST_KEY, http_client=fake, max_network_retries=0), fake


def start(gateway, offer=None, offer_key=""):
    return gateway.hosted_checkout(
        customer_id="cus_QmReader0001",
        success_url="https://news.example.com/account/billing/",
        cancel_url="https://news.example.com/subscribe/checkout/?plan=monthly",
        plan=MONTHLY,
        plan_key="monthly-v1",
        product_name="Digital, monthly",
        offer_key=offer_key,
        offer=offer,
        metadata={"plan": "monthly", "checkout": "k1"},
        idempotency_key="checkout:k1",
    )


def test_it_opens_a_subscription_session_for_the_plans_price():
    gateway, fake = stripe_with()

    hosted = start(gateway)

    assert hosted.url.startswith("https://checkout.stripe.com/")
    assert hosted.session_id == "cs_test_a1QmSession0001"
    assert fake.sent("GET /v1/prices") == [{"lookup_keys[0]": "masthead-monthly-v1", "limit": "1"}]
    price = fake.sent("POST /v1/prices")[0]
    assert (price["unit_amount"], price["currency"], price["recurring[interval]"]) == ("1500", "usd", "month")
    session = fake.sent("POST /v1/checkout/sessions")[0]
    assert session["mode"] == "subscription"
    assert session["customer"] == "cus_QmReader0001"
    assert session["line_items[0][price]"] == "price_1QmMonthly01"
    assert session["subscription_data[metadata][checkout]"] == "k1"
    assert "discounts[0][coupon]" not in session
    keys = [r["headers"]["Idempotency-Key"] for r in fake.requests if r["route"].startswith("POST")]
    assert keys[0].startswith("price:masthead-monthly-v1:")
    assert keys[1] == "checkout:k1:session"


def test_it_reuses_the_price_of_a_plan_version():
    gateway, fake = stripe_with(
        **{"GET /v1/prices": lambda params: {"object": "list", "data": [recorded("price.json")]}}
    )

    start(gateway)

    assert fake.sent("POST /v1/prices") == []
    assert fake.sent("POST /v1/checkout/sessions")[0]["line_items[0][price]"] == "price_1QmMonthly01"


def test_it_gives_a_trial_as_trial_days():
    gateway, fake = stripe_with()

    start(gateway, OfferTerms(kind=OfferKind.TRIAL, trial_days=7), "spring")

    assert fake.sent("POST /v1/checkout/sessions")[0]["subscription_data[trial_period_days]"] == "7"
    assert fake.sent("POST /v1/coupons") == []


@pytest.mark.parametrize(
    ("offer", "terms"),
    [
        (OfferTerms(kind=OfferKind.PERCENT_OFF, percent_off=50, discount_periods=3), {"percent_off": "50"}),
        (OfferTerms(kind=OfferKind.INTRO_PRICE, intro_amount=99, intro_periods=1), {"amount_off": "1401"}),
    ],
)
def test_it_gives_a_discount_as_a_coupon(offer, terms):
    gateway, fake = stripe_with()

    start(gateway, offer, "half-off")

    coupon = fake.sent("POST /v1/coupons")[0]
    assert terms.items() <= coupon.items()
    assert coupon["duration"] == "repeating"
    assert coupon["id"].startswith("masthead-half-off-")
    assert fake.sent("POST /v1/checkout/sessions")[0]["discounts[0][coupon]"] == coupon["id"]


def test_it_uses_the_coupon_an_earlier_checkout_made():
    exists = {"_status": 400, "error": {"type": "invalid_request_error", "code": "resource_already_exists"}}
    gateway, fake = stripe_with(**{"POST /v1/coupons": lambda params: dict(exists)})

    start(gateway, OfferTerms(kind=OfferKind.PERCENT_OFF, percent_off=50, discount_periods=3), "half-off")

    assert len(fake.sent("POST /v1/checkout/sessions")) == 1


def test_it_refuses_an_offer_checkout_cannot_sell():
    gateway, fake = stripe_with()

    with pytest.raises(ValueError):
        start(gateway, OfferTerms(kind=OfferKind.BUNDLE, bundle_amount=900, bundle_months=3), "three-for-nine")

    assert fake.sent("POST /v1/checkout/sessions") == []
