"""A notice is sent once per occurrence, however often it is asked for or its job is run."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from masthead.billing import notices
from masthead.billing.notices import Notice
from masthead.billing.tests.notice_support import (
    TASK,
    failed_renewal,
    notify_and_commit,
    run_mail_jobs,
    subscribe,
)
from masthead.ops.models import SentNotice

pytestmark = pytest.mark.django_db


def test_it_sends_a_repeated_notice_once(catalogue, reader, django_capture_on_commit_callbacks):
    invoice = subscribe(catalogue, reader).invoices.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notices.notify(Notice.RECEIPT, invoice_id=invoice.pk)
            notices.notify(Notice.RECEIPT, invoice_id=invoice.pk)
    notify_and_commit(django_capture_on_commit_callbacks, Notice.RECEIPT, invoice_id=invoice.pk)

    assert DBTaskResult.objects.filter(task_path=TASK).count() == 3
    assert sorted(run_mail_jobs()) == ["already_sent", "already_sent", "sent"]
    assert len(mail.outbox) == 1
    assert SentNotice.objects.get().key == f"invoice:{invoice.pk}"


def test_it_sends_again_for_a_new_occurrence(catalogue, reader, django_capture_on_commit_callbacks):
    sub = subscribe(catalogue, reader)
    invoice = failed_renewal(sub)
    mail.outbox.clear()
    notify_and_commit(django_capture_on_commit_callbacks, Notice.PAYMENT_FAILED, invoice_id=invoice.pk)
    notify_and_commit(django_capture_on_commit_callbacks, Notice.PAYMENT_FAILED, invoice_id=invoice.pk)
    payment = invoice.payments.get()
    payment.pk, payment.attempt, payment.idempotency_key = None, 2, f"invoice:{invoice.number}:attempt:2"
    payment.save()  # the retry failed too
    notify_and_commit(django_capture_on_commit_callbacks, Notice.PAYMENT_FAILED, invoice_id=invoice.pk)

    assert sorted(run_mail_jobs()) == ["already_sent", "sent", "sent"]
    assert len(mail.outbox) == 2


def test_a_failed_send_can_be_retried(catalogue, reader, monkeypatch):
    invoice = subscribe(catalogue, reader).invoices.get()
    key = notices.occurrence_key(Notice.RECEIPT, invoice.pk)
    mail.outbox.clear()

    def refuse(self, messages):
        raise ConnectionRefusedError("the mail server is down")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
        with pytest.raises(ConnectionRefusedError):
            notices.deliver("receipt", key, invoice_id=invoice.pk)
    assert not SentNotice.objects.exists()  # the claim was released

    assert notices.deliver("receipt", key, invoice_id=invoice.pk) == "sent"
    assert len(mail.outbox) == 1
