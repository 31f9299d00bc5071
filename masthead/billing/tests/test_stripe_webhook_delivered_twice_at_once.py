"""The same Stripe event delivered twice at the same moment is stored once and applied once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from masthead.billing import inbox
from masthead.billing.models import Invoice, LedgerEntry, ProviderEvent, Subscription
from masthead.billing.tests.stripe_fakes import deliver, recorded, stripe_customer, stripe_webhooks  # noqa: F401


def together(count: int, work):
    """Run ``work(i)`` in ``count`` threads released at once; returns their results."""
    start = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i):
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:  # reported below, on the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_applies_it_once(reader, catalogue, stripe_webhooks):  # noqa: F811
    stripe_customer(reader)
    invoice = recorded("invoice_paid.json")

    statuses = together(
        2, lambda i: deliver(Client(), "invoice.paid", invoice, created=1_793_491_300, event_id="evt_once").status_code
    )
    stored = list(ProviderEvent.objects.values_list("pk", flat=True))
    handled = together(2, lambda i: inbox.process(stored[0]))

    assert statuses == [200, 200]
    assert len(stored) == 1
    assert handled == [True, True]
    subscription = Subscription.objects.get(reader=reader)
    assert subscription.status == Subscription.Status.ACTIVE
    assert Invoice.objects.filter(gateway_id="in_1QmInvoice0001").count() == 1
    assert LedgerEntry.objects.filter(kind="payment.succeeded").count() == 1
    assert ProviderEvent.objects.get().attempts == 1
