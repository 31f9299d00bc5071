"""Stripe Checkout takes the card on Stripe's page, after masthead's checks: a card that already had an introductory
offer keeps its first period at the introductory price, then pays the plan's price, with a ledger entry and a flag
for staff. The first reader of the card keeps the offer.

localstripe has no Checkout and no subscription discounts, so Stripe's answers are replayed at the HTTP seam
(fixtures/stripe/), and the webhooks are signed and delivered as Stripe sends them.
"""

from __future__ import annotations

import pytest

from masthead.billing.gateways import use_gateway
from masthead.billing.gateways.stripe import StripeGateway
from masthead.billing.models import CheckoutAttempt, Customer, LedgerEntry, Offer, Redemption, Subscription
from masthead.billing.tests.stripe_fakes import (
    TEST_KEY,
    RecordedStripe,
    deliver,
    handle_received,
    recorded,
    stripe_webhooks,  # noqa: F401
)

CREATED = 1_793_491_300
SAME_CARD = recorded("payment_method.json")["card"]["fingerprint"]
COUPON = {"id": "masthead-intro-3-0f1e2d3c4b", "object": "coupon", "amount_off": 1401, "duration": "repeating"}


@pytest.fixture
def intro(catalogue):
    """$0.99 a month for three months: the second period is still introductory, so withdrawing it shows."""
    return Offer.objects.create(
        code="intro-3",
        headline="$0.99 a month for three months",
        plan=catalogue.monthly,
        kind="intro_price",
        intro_amount=99,
        intro_periods=3,
        segments=["anonymous", "registered"],
    )


def stripe_subscription(stripe_id: str, customer: str, *, fingerprint: str = SAME_CARD, discounted=True) -> dict:
    """Stripe's subscription as Checkout leaves it: the typed card as its default payment method, the coupon on."""
    card = recorded("payment_method.json")
    card["card"]["fingerprint"] = fingerprint
    sub = recorded("subscription.json") | {"id": stripe_id, "customer": customer, "default_payment_method": card}
    sub["discounts"] = [{"object": "discount", "coupon": COUPON, "subscription": stripe_id}] if discounted else []
    return sub


@pytest.fixture
def recorded_stripe():
    fake = RecordedStripe(
        {
            "GET /v1/subscriptions/sub_first": lambda params: stripe_subscription("sub_first", "cus_first"),
            "GET /v1/subscriptions/sub_second": lambda params: stripe_subscription("sub_second", "cus_second"),
            "GET /v1/subscriptions/sub_other": lambda params: stripe_subscription(
                "sub_other", "cus_other", fingerprint="OtherCard0000001"
            ),
            "POST /v1/subscriptions/sub_second": lambda params: stripe_subscription(
                "sub_second", "cus_second", discounted=False
            ),
        }
    )
    previous = use_gateway(StripeGateway(api_key=TEST_KEY, http_client=fake, max_network_retries=0))
    yield fake
    use_gateway(previous)


def complete_checkout(client, django_user_model, plan, offer, *, name: str, created: int) -> Subscription:
    """A reader pays for ``offer`` on Stripe's Checkout page; Stripe reports it, and the worker handles it."""
    reader = django_user_model.objects.create_user(email=f"{name}@example.com", password="x")
    Customer.objects.create(reader=reader, gateway="stripe", gateway_id=f"cus_{name}", email=reader.email)
    key = f"k-checkout-{name}"
    CheckoutAttempt.objects.create(key=key, plan=plan, offer=offer, reader=reader)
    metadata = {"reader_id": str(reader.pk), "plan": plan.code, "plan_version": "1", "offer": offer.code}
    session = recorded("checkout_session_completed.json") | {
        "id": f"cs_test_{name}",
        "customer": f"cus_{name}",
        "subscription": f"sub_{name}",
        "amount_total": 99,
        "metadata": metadata | {"checkout": key},
    }
    assert deliver(client, "checkout.session.completed", session, created=created).status_code == 200
    handle_received()
    return Subscription.objects.get(gateway_id=f"sub_{name}")


def test_it_charges_a_reused_card_the_plans_price_from_the_next_period(
    client,
    django_user_model,
    catalogue,
    intro,
    recorded_stripe,
    stripe_webhooks,  # noqa: F811
):
    first = complete_checkout(client, django_user_model, catalogue.monthly, intro, name="first", created=CREATED)
    second = complete_checkout(client, django_user_model, catalogue.monthly, intro, name="second", created=CREATED + 9)

    (removed,) = recorded_stripe.sent("POST /v1/subscriptions/sub_second")
    assert removed == {"discounts": "", "proration_behavior": "none"}
    keys = [r["headers"]["Idempotency-Key"] for r in recorded_stripe.requests if r["route"].startswith("POST")]
    assert keys == ["offer-withdrawn:sub_second"]
    second.refresh_from_db()
    assert second.charge(1).amount == 1500  # the next period, and every one after, at the plan's price
    assert "intro-3 withdrawn" in second.staff_flag
    entry = LedgerEntry.objects.get(kind="offer.withdrawn")
    assert entry.subscription == second
    assert entry.actor_label == "gateway:stripe"
    assert entry.data | {"why": "card", "card": "visa 4242", "earlier_subscription": first.pk} == entry.data
    # The second reader has had an introductory period now: by account too, they may not have another.
    assert Redemption.objects.filter(reader=second.reader).exists()


def test_it_lets_the_first_reader_of_a_card_keep_the_offer(
    client,
    django_user_model,
    catalogue,
    intro,
    recorded_stripe,
    stripe_webhooks,  # noqa: F811
):
    first = complete_checkout(client, django_user_model, catalogue.monthly, intro, name="first", created=CREATED)
    complete_checkout(client, django_user_model, catalogue.monthly, intro, name="second", created=CREATED + 9)
    other = complete_checkout(client, django_user_model, catalogue.monthly, intro, name="other", created=CREATED + 19)

    first.refresh_from_db()
    other.refresh_from_db()
    assert [first.charge(1).amount, other.charge(1).amount] == [99, 99]
    assert (first.staff_flag, other.staff_flag) == ("", "")
    assert Redemption.objects.get(subscription=first).card_fingerprint == SAME_CARD
    assert Redemption.objects.get(subscription=other).card_fingerprint == "OtherCard0000001"
    assert recorded_stripe.sent("POST /v1/subscriptions/sub_first") == []
    withdrawn = LedgerEntry.objects.filter(kind="offer.withdrawn")
    assert list(withdrawn.values_list("subscription__gateway_id", flat=True)) == ["sub_second"]


def test_it_withdraws_once_when_stripe_reports_the_checkout_again(
    client,
    django_user_model,
    catalogue,
    intro,
    recorded_stripe,
    stripe_webhooks,  # noqa: F811
):
    complete_checkout(client, django_user_model, catalogue.monthly, intro, name="first", created=CREATED)
    second = complete_checkout(client, django_user_model, catalogue.monthly, intro, name="second", created=CREATED + 9)
    session = recorded("checkout_session_completed.json") | {
        "customer": "cus_second",
        "subscription": "sub_second",
        "metadata": {"reader_id": str(second.reader_id), "plan": "monthly", "offer": "intro-3", "checkout": "k2"},
    }

    deliver(client, "checkout.session.completed", session, created=CREATED + 30, event_id="evt_again")
    handle_received()

    assert LedgerEntry.objects.filter(kind="offer.withdrawn").count() == 1
    assert len(recorded_stripe.sent("POST /v1/subscriptions/sub_second")) == 1


def test_it_shows_staff_the_flag_on_the_subscription(
    client,
    django_user_model,
    catalogue,
    intro,
    recorded_stripe,
    stripe_webhooks,  # noqa: F811
):
    complete_checkout(client, django_user_model, catalogue.monthly, intro, name="first", created=CREATED)
    second = complete_checkout(client, django_user_model, catalogue.monthly, intro, name="second", created=CREATED + 9)
    client.force_login(django_user_model.objects.create_superuser(email="ana@example.com", password="x"))

    inspect = client.get(f"/admin/subscription/inspect/{second.pk}/")
    listing = client.get("/admin/subscription/")

    assert "Introductory offer intro-3 withdrawn" in inspect.content.decode()
    assert "Introductory offer intro-3 withdrawn" in listing.content.decode()
