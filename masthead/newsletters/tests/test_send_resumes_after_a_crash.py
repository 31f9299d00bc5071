"""A worker that dies mid-batch: once its lease lapses another worker finishes the batch, and nobody already
sent the issue receives it twice."""

from collections import Counter

import pytest

from masthead.lib import clock
from masthead.newsletters import actions, sending
from masthead.newsletters.models import Batch, Delivery, Issue
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter

pytestmark = pytest.mark.django_db


class WorkerDied(BaseException):
    """Like a killed process: nothing in the sending code may catch it."""


def test_it_resumes_without_sending_anyone_twice(smtp, newsroom, settings, monkeypatch):
    settings.NEWSLETTER_BATCH_SIZE = 3
    briefing = make_newsletter()
    addresses = [f"reader{n}@example.com" for n in range(7)]
    for address in addresses:
        confirmed(briefing, address)
    issue = make_issue(briefing, newsroom.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    assert len(sending.prepare(issue.pk)) == 3

    recorded = []
    real_record = sending.record_sent

    def record_then_die(delivery_id, message_id):
        real_record(delivery_id, message_id)
        recorded.append(delivery_id)
        if len(recorded) == 4:  # in the second batch, after its first message
            raise WorkerDied

    monkeypatch.setattr(sending, "record_sent", record_then_die)
    with pytest.raises(WorkerDied):
        sending.drain(issue_id=issue.pk)
    assert len(smtp.messages) == 4
    assert Batch.objects.filter(status=Batch.Status.SENDING).count() == 1  # the dead worker's claim

    # Another worker, before the lease lapses, leaves the claimed batch alone.
    monkeypatch.setattr(sending, "record_sent", real_record)
    sending.drain(issue_id=issue.pk)
    assert Batch.objects.filter(status=Batch.Status.SENDING).count() == 1
    # After it lapses, the batch is taken over and finished.
    sending.drain(issue_id=issue.pk, now=clock.now() + sending.LEASE + sending.LEASE / 10)

    received = Counter(smtp.recipients())
    assert sorted(received) == sorted(addresses)
    assert set(received.values()) == {1}
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 7
    assert Issue.objects.get().status == Issue.Status.SENT


def test_it_hands_a_batch_back_when_the_server_goes_away(smtp, newsroom, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens there
        }
    }
    briefing = make_newsletter()
    confirmed(briefing, "zoe@example.com")
    issue = make_issue(briefing, newsroom.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    sending.prepare(issue.pk)

    result = sending.drain(issue_id=issue.pk)

    assert result.interrupted and result.sent == 0
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.PENDING and batch.attempts == 1
    assert Delivery.objects.get().status == Delivery.Status.QUEUED


def test_it_queues_again_only_the_batches_nobody_will_send(newsroom, settings):
    settings.NEWSLETTER_BATCH_SIZE = 1
    briefing = make_newsletter()
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        confirmed(briefing, address)
    issue = make_issue(briefing, newsroom.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    first, second, third = sending.prepare(issue.pk)
    now = clock.now()
    Batch.objects.filter(pk=first).update(attempts=1)  # handed back after a failure
    Batch.objects.filter(pk=second).update(status=Batch.Status.SENDING, claimed_at=now - sending.LEASE * 2)

    assert sending.claimable_batches(now, stalled=True) == [first, second]  # the third's job is still queued
    later = now + sending.LEASE * 2
    assert sending.claimable_batches(later, stalled=True) == [first, second, third]


def test_it_finishes_an_issue_whose_last_batch_was_done_by_a_worker_that_died(smtp, newsroom):
    from masthead.newsletters import tasks

    briefing = make_newsletter()
    confirmed(briefing, "zoe@example.com")
    issue = make_issue(briefing, newsroom.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    sending.prepare(issue.pk)
    sending.drain(issue_id=issue.pk)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING, finished_at=None)  # died before this

    assert tasks.resume_batches.call() == 0
    assert Issue.objects.get().status == Issue.Status.SENT
