"""A reader whose account was deleted gets no billing mail: their invoices and subscriptions stay, without them."""

from __future__ import annotations

import pytest
from django.core import mail

from masthead.billing.models import Invoice, PaymentMethod, Subscription
from masthead.billing.notices import Notice
from masthead.billing.tests.notice_support import new_card, notify_and_commit, run_mail_jobs, subscribe
from masthead.ops.models import SentNotice

pytestmark = pytest.mark.django_db


def test_it_sends_nothing_to_a_deleted_reader(catalogue, reader, django_capture_on_commit_callbacks):
    sub = subscribe(catalogue, reader)
    invoice = sub.invoices.get()
    method = new_card(sub)
    reader.delete()
    assert Subscription.objects.get(pk=sub.pk).reader is None
    assert Invoice.objects.get(pk=invoice.pk).reader is None
    assert PaymentMethod.objects.get(pk=method.pk).customer.reader is None
    mail.outbox.clear()

    notify_and_commit(django_capture_on_commit_callbacks, Notice.RECEIPT, invoice_id=invoice.pk)
    notify_and_commit(django_capture_on_commit_callbacks, Notice.SUBSCRIPTION_ENDED, subscription_id=sub.pk)
    notify_and_commit(django_capture_on_commit_callbacks, Notice.CARD_UPDATED, payment_method_id=method.pk)

    assert run_mail_jobs() == ["no_reader"] * 3
    assert mail.outbox == []
    assert not SentNotice.objects.exists()
