"""Several workers draining the same issue at once: each batch is claimed by exactly one of them."""

from collections import Counter

import pytest

from masthead.lib.tests.threads import workers
from masthead.newsletters import actions, sending
from masthead.newsletters.models import Batch, Delivery, Issue
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_sends_every_message_once_with_two_workers(smtp, settings):
    from masthead.content.tests import factories

    settings.NEWSLETTER_BATCH_SIZE = 4
    room = factories.newsroom()
    briefing = make_newsletter()
    addresses = [f"reader{n}@example.com" for n in range(30)]
    for address in addresses:
        confirmed(briefing, address)
    issue = make_issue(briefing, room.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    sending.prepare(issue.pk)

    results = workers(2, lambda: sending.drain(issue_id=issue.pk))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.sent for r in results) == 30
    received = Counter(smtp.recipients())
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 30
    assert set(Batch.objects.values_list("attempts", flat=True)) == {1}
    assert Issue.objects.get().status == Issue.Status.SENT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_lets_one_of_many_claims_win():
    from masthead.lib import clock

    briefing = make_newsletter()
    issue = make_issue(briefing)
    batch = Batch.objects.create(issue=issue, number=0)

    claims = workers(4, lambda: sending.claim(batch.pk, now=clock.now()))

    assert len([c for c in claims if isinstance(c, str)]) == 1
    assert claims.count(None) == 3
