"""A Stripe webhook with a bad, missing or stale signature is refused with 400 and changes nothing."""

from __future__ import annotations

import time

import pytest

from masthead.billing.models import LedgerEntry, ProviderEvent, Subscription
from masthead.billing.tests.stripe_fakes import (
    WEBHOOK_URL,
    deliver,
    event,
    recorded,
    stripe_customer,
    stripe_webhooks,  # noqa: F401
)


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "whsec_someone_else"},
        {"signed_at": time.time() - 301},  # a replay of an old delivery
    ],
    ids=["wrong-secret", "stale"],
)
def test_it_refuses_a_bad_signature(client, reader, catalogue, stripe_webhooks, tamper):  # noqa: F811
    stripe_customer(reader)

    response = deliver(client, "customer.subscription.created", recorded("subscription.json"), created=1, **tamper)

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
    assert not Subscription.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_it_refuses_an_unsigned_or_altered_body(client, db, stripe_webhooks):  # noqa: F811
    body = event("invoice.paid", recorded("invoice_paid.json"), created=1)

    unsigned = client.post(WEBHOOK_URL, data=body, content_type="application/json")
    signed = deliver(client, "invoice.paid", recorded("invoice_paid.json"), created=1)
    assert signed.status_code == 200
    header = signed.wsgi_request.headers["Stripe-Signature"]
    altered = client.post(
        WEBHOOK_URL, data=body.replace("1500", "1"), content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )

    assert (unsigned.status_code, altered.status_code) == (400, 400)
    assert ProviderEvent.objects.count() == 1  # only the genuine delivery


def test_it_accepts_only_post(client, db, stripe_webhooks):  # noqa: F811
    assert client.get(WEBHOOK_URL).status_code == 405
