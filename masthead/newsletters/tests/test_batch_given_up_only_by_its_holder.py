"""A worker that gives a batch up after its last attempt, having lost the claim to another worker, leaves that
worker's queued deliveries alone."""

import pytest

from masthead.lib import clock
from masthead.newsletters import actions, sending
from masthead.newsletters.models import Batch, Delivery
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter

pytestmark = pytest.mark.django_db


def test_it_fails_nothing_once_the_claim_is_another_workers(newsroom):
    briefing = make_newsletter()
    confirmed(briefing, "zoe@example.com")
    issue = make_issue(briefing, newsroom.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    (batch_id,) = sending.prepare(issue.pk)
    now = clock.now()
    first = sending.claim(batch_id, now=now)
    Batch.objects.filter(pk=batch_id).update(attempts=sending.MAX_ATTEMPTS - 1)
    second = sending.claim(batch_id, now=now + sending.LEASE * 2)  # the first worker's lease lapsed
    assert first and second and first != second

    sending._release(Batch.objects.get(pk=batch_id), first, "temporary failure 421")

    assert Delivery.objects.get().status == Delivery.Status.QUEUED
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.SENDING and batch.claim == second

    sending._release(batch, second, "temporary failure 421")  # its holder gives up: now it counts
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert Batch.objects.get().status == Batch.Status.DONE
