"""Notices go out after the action's transaction commits: a rolled-back action sends nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from masthead.billing import notices
from masthead.billing.notices import Notice
from masthead.billing.tests.notice_support import TASK, run_mail_jobs, subscribe

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def test_a_rolled_back_action_sends_nothing(catalogue, reader, django_capture_on_commit_callbacks):
    sub = subscribe(catalogue, reader)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Refused), transaction.atomic():
            notices.notify(Notice.CANCELLATION_CONFIRMED, subscription_id=sub.pk)
            raise Refused

    assert callbacks == []
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()
    assert run_mail_jobs() == []
    assert mail.outbox == []


def test_nothing_is_queued_before_commit(catalogue, reader, django_capture_on_commit_callbacks):
    sub = subscribe(catalogue, reader)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices.notify(Notice.COMP_GRANTED, subscription_id=sub.pk)

    assert len(callbacks) == 1
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()


def test_a_missing_id_is_logged_and_sends_nothing(caplog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notices.notify(Notice.RECEIPT, invoice_id=None, subscription_id=3)

    assert callbacks == []
    assert "without invoice_id" in caplog.text
