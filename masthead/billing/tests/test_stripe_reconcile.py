"""``masthead billing reconcile`` re-reads drifting subscriptions from Stripe and mirrors what it finds."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from masthead.billing.gateways import use_gateway
from masthead.billing.gateways.stripe import StripeGateway
from masthead.billing.models import LedgerEntry, Subscription
from masthead.billing.stripe_sync import when
from masthead.billing.tests.stripe_fakes import TEST_KEY, RecordedStripe


@pytest.fixture
def stripe_says_active():
    fake = RecordedStripe({"GET /v1/subscriptions/sub_1QmSubscr0001": "subscription.json"})
    previous = use_gateway(StripeGateway(api_key=TEST_KEY, http_client=fake, max_network_retries=0))
    yield fake
    use_gateway(previous)


def test_it_mirrors_a_subscription_whose_webhooks_were_lost(reader, catalogue, stripe_says_active):
    drifted = Subscription.objects.create(
        reader=reader, plan=catalogue.monthly, status="past_due", gateway_id="sub_1QmSubscr0001"
    )
    settled = Subscription.objects.create(reader=None, plan=catalogue.monthly, status="canceled", gateway_id="sub_x")
    out = io.StringIO()

    call_command("billing", "reconcile", stdout=out)

    drifted.refresh_from_db()
    assert drifted.status == "active"
    assert drifted.paid_through == when(1_796_083_200)
    assert "sub_1QmSubscr0001 (reader@example.com): past_due -> active" in out.getvalue()
    assert "reconciled 1 subscription(s) with Stripe; 1 changed" in out.getvalue()
    assert [r["route"] for r in stripe_says_active.requests] == ["GET /v1/subscriptions/sub_1QmSubscr0001"]
    assert LedgerEntry.objects.get(kind="subscription.mirrored").actor_label == "gateway:stripe"
    settled.refresh_from_db()
    assert settled.status == "canceled"
