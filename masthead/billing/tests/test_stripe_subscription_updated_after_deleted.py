"""A subscription Stripe deleted stays canceled, whatever older (or misdated) update arrives after."""

from __future__ import annotations

import pytest

from masthead.billing.models import Subscription
from masthead.billing.tests.stripe_fakes import (
    deliver,
    handle_received,
    recorded,
    stripe_customer,
    stripe_webhooks,  # noqa: F401
)


@pytest.mark.parametrize(
    ("deleted_at", "updated_at"),
    [(1_793_500_000, 1_793_400_000), (1_793_500_000, 1_793_600_000)],
    ids=["update-older", "update-dated-later"],
)
def test_it_stays_canceled(client, reader, catalogue, stripe_webhooks, deleted_at, updated_at):  # noqa: F811
    stripe_customer(reader)
    deliver(client, "customer.subscription.created", recorded("subscription.json"), created=deleted_at - 200_000)
    handle_received()

    deleted = deliver(
        client, "customer.subscription.deleted", recorded("subscription_deleted.json"), created=deleted_at
    )
    updated = deliver(client, "customer.subscription.updated", recorded("subscription.json"), created=updated_at)
    handle_received()

    assert (deleted.status_code, updated.status_code) == (200, 200)
    subscription = Subscription.objects.get(gateway_id="sub_1QmSubscr0001")
    assert subscription.status == Subscription.Status.CANCELED
    assert subscription.canceled_at is not None
