"""Stripe's invoice.paid may arrive before checkout.session.completed: access is granted once, by either order."""

from __future__ import annotations

import pytest

from masthead.billing.models import CheckoutAttempt, Invoice, LedgerEntry, Subscription
from masthead.billing.stripe_sync import when
from masthead.billing.tests.stripe_fakes import (
    deliver,
    handle_received,
    recorded,
    stripe_customer,
    stripe_webhooks,  # noqa: F401
)

ORDERS = {
    "invoice-first": ["invoice.paid", "checkout.session.completed", "customer.subscription.created"],
    "checkout-first": ["checkout.session.completed", "customer.subscription.created", "invoice.paid"],
}
OBJECTS = {
    "invoice.paid": "invoice_paid.json",
    "checkout.session.completed": "checkout_session_completed.json",
    "customer.subscription.created": "subscription.json",
}


@pytest.mark.parametrize("order", ORDERS)
def test_it_grants_access_once(client, reader, catalogue, stripe_webhooks, order):  # noqa: F811
    stripe_customer(reader)
    CheckoutAttempt.objects.create(key="k-fixture-checkout-0001", plan=catalogue.monthly, reader=reader)
    for offset, kind in enumerate(ORDERS[order]):
        assert deliver(client, kind, recorded(OBJECTS[kind]), created=1_793_491_300 + offset).status_code == 200
        handle_received()
    # Stripe delivers at least once: the same invoice.paid event again changes nothing.
    deliver(client, "invoice.paid", recorded("invoice_paid.json"), created=1_793_491_300, event_id="evt_again")
    handle_received()

    subscription = Subscription.objects.get(reader=reader)
    assert subscription.gateway_id == "sub_1QmSubscr0001"
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.paid_through == when(1_796_083_200)
    invoice = Invoice.objects.get(subscription=subscription)
    assert (invoice.status, invoice.total, invoice.gateway_id) == ("paid", 1500, "in_1QmInvoice0001")
    assert LedgerEntry.objects.filter(kind="payment.succeeded", subscription=subscription).count() == 1
    assert LedgerEntry.objects.filter(kind="checkout.succeeded", subscription=subscription).count() == 1
    assert CheckoutAttempt.objects.get().subscription == subscription
    granted = LedgerEntry.objects.filter(kind="subscription.mirrored", subscription=subscription, data__after="active")
    assert granted.exclude(data__before="active").count() == 1
