"""An issue whose newsletter was made inactive, or whose stories were all unpublished, after it was scheduled goes
back to draft at send time instead of going out."""

import pytest

from masthead.newsletters import actions, sending
from masthead.newsletters.models import Delivery, Issue
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter

pytestmark = pytest.mark.django_db


def test_it_sends_nothing_for_an_inactive_newsletter(smtp, newsroom):
    briefing = make_newsletter()
    confirmed(briefing, "zoe@example.com")
    issue = make_issue(briefing, newsroom.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    briefing.active = False
    briefing.save()

    assert sending.prepare(issue.pk) == []

    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and issue.send_at is None
    assert not Delivery.objects.exists() and smtp.messages == []


def test_it_sends_nothing_when_every_story_was_unpublished(smtp, newsroom):
    briefing = make_newsletter()
    confirmed(briefing, "zoe@example.com")
    article = newsroom.articles[0]
    issue = make_issue(briefing, [article])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    article.unpublish()

    assert sending.prepare(issue.pk) == []
    assert Issue.objects.get().status == Issue.Status.DRAFT
    assert not Delivery.objects.exists() and smtp.messages == []
