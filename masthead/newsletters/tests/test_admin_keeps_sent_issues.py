"""The admin deletes neither an issue that has started sending nor a newsletter that has issues: it says why,
and their delivery records stay."""

import pytest

from masthead.newsletters.models import Issue, Newsletter
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


def test_it_keeps_a_sent_issue_and_its_newsletter(client, editor, smtp, newsroom):
    client.force_login(editor)
    briefing = make_newsletter()
    confirmed(briefing, "zoe@example.com")
    issue = make_issue(briefing, newsroom.articles[:1])
    send_now(issue)

    response = client.post(f"/admin/newsletters/issues/delete/{issue.pk}/")
    assert response.status_code == 302 and Issue.objects.filter(pk=issue.pk).exists()
    assert issue.deliveries.count() == 1

    response = client.post(f"/admin/newsletters/lists/delete/{briefing.pk}/", follow=True)
    assert response.status_code == 200 and "make it inactive instead" in response.content.decode()
    assert Newsletter.objects.filter(pk=briefing.pk).exists()


def test_it_deletes_a_draft(client, editor, newsroom):
    client.force_login(editor)
    issue = make_issue(make_newsletter(), newsroom.articles[:1])
    response = client.post(f"/admin/newsletters/issues/delete/{issue.pk}/")
    assert response.status_code == 302 and not Issue.objects.exists()
