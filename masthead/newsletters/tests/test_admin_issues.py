"""Editors compose an issue in the admin, preview it, send themselves a test, schedule it or send it now, and
read its delivery figures."""

import datetime as dt

import pytest
from django.core import mail

from masthead.lib import clock
from masthead.lib.dates import publication_zone
from masthead.newsletters import sending
from masthead.newsletters.models import Issue, Suppression
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def issue(newsroom):
    briefing = make_newsletter(name="The Briefing")
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        confirmed(briefing, address)
    Suppression.objects.create(email="c@example.com", reason="bounced", created_at=clock.now())
    return make_issue(briefing, newsroom.articles[:2], subject="Monday's stories", intro="Good morning.")


def test_it_composes_an_issue_with_chosen_and_latest_stories(editor_client, newsroom):
    briefing = make_newsletter()
    story = newsroom.articles[3]
    data = {
        "newsletter": briefing.pk,
        "subject": "Composed",
        "intro": "Hello.",
        "latest_count": "2",
        "sections": [newsroom.politics.pk],
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-article": story.pk,
        "items-0-ORDER": "1",
        "items-0-id": "",
        "items-0-DELETE": "",
    }
    response = editor_client.post("/admin/newsletters/issues/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    issue = Issue.objects.get(subject="Composed")
    assert issue.status == Issue.Status.DRAFT
    from masthead.newsletters.compose import issue_articles

    # The chosen (older, economy) story first, then politics' latest two, newest first.
    expected = [story, newsroom.articles[0], newsroom.articles[1]]
    assert [a.pk for a in issue_articles(issue)] == [a.pk for a in expected]


def test_it_previews_the_issue_in_the_browser(editor_client, issue, newsroom):
    response = editor_client.get(f"/admin/newsletters/issues/{issue.pk}/preview/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Monday&#x27;s stories" in html or "Monday's stories" in html
    assert newsroom.articles[0].title in html and "/newsletters/unsubscribe/test/" in html


def test_it_sends_the_editor_a_test(editor_client, editor, issue):
    response = editor_client.post(f"/admin/newsletters/issues/{issue.pk}/test/")
    assert response.status_code == 302
    [test] = mail.outbox
    assert test.to == [editor.email] and test.subject == "[Test] Monday's stories"
    assert "/newsletters/unsubscribe/test/" in test.body
    assert Issue.objects.get().status == Issue.Status.DRAFT  # a test changes nothing


def test_it_schedules_in_the_publications_zone(editor_client, issue):
    at = (clock.now() + dt.timedelta(days=1)).astimezone(publication_zone()).replace(second=0, microsecond=0)
    response = editor_client.post(
        f"/admin/newsletters/issues/{issue.pk}/schedule/", {"when": "later", "at": at.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SCHEDULED and issue.send_at == at.astimezone(dt.UTC)
    assert sending.due_issues(clock.now()) == []
    assert sending.due_issues(at + dt.timedelta(minutes=1)) == [issue.pk]


def test_it_sends_now_and_shows_the_delivery_figures(
    editor_client, issue, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"/admin/newsletters/issues/{issue.pk}/schedule/", {"when": "now"})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]

    html = editor_client.get(f"/admin/newsletters/issues/inspect/{issue.pk}/").content.decode()
    assert '<td data-stat="sent">2</td>' in html
    assert '<td data-stat="suppressed">1</td>' in html
    assert '<td data-stat="queued">0</td>' in html and '<td data-stat="failed">0</td>' in html


def test_it_refuses_to_send_an_issue_twice(editor_client, issue):
    editor_client.post(f"/admin/newsletters/issues/{issue.pk}/schedule/", {"when": "now"})
    sending.prepare(issue.pk)  # what the worker does next
    response = editor_client.post(f"/admin/newsletters/issues/{issue.pk}/schedule/", {"when": "now"})
    assert response.status_code == 200 and "already been sent" in response.content.decode()


def test_it_keeps_readers_out(reader_client, issue):
    assert reader_client.get(f"/admin/newsletters/issues/{issue.pk}/preview/").status_code in (302, 403)
