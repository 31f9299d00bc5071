"""The worker's digest job: one issue per due time however many workers run it, built from the latest stories,
and none when nothing new was published."""

import datetime as dt

import pytest

from masthead.lib import clock
from masthead.lib.tests.threads import workers
from masthead.newsletters import actions
from masthead.newsletters.models import Issue, Newsletter
from masthead.newsletters.tests.conftest import make_newsletter


def digest_newsletter(sections, *, due):
    newsletter = make_newsletter(slug="morning", digest_enabled=True, digest_count=2, digest_next_at=due)
    newsletter.digest_sections.set(sections)
    return newsletter


@pytest.mark.django_db
def test_it_makes_the_due_digest_from_the_latest_stories(newsroom):
    now = clock.now()
    newsletter = digest_newsletter([newsroom.politics, newsroom.economy], due=now - dt.timedelta(minutes=1))

    [issue] = actions.digests_run(now=now)

    assert issue.kind == Issue.Kind.DIGEST and issue.status == Issue.Status.SCHEDULED
    from masthead.newsletters.compose import issue_articles

    assert [a.pk for a in issue_articles(issue)] == [newsroom.articles[0].pk, newsroom.articles[1].pk]
    newsletter.refresh_from_db()
    assert newsletter.digest_next_at > now
    assert actions.digests_run(now=now) == []  # not due again until then


@pytest.mark.django_db
def test_it_skips_a_digest_with_nothing_new(newsroom):
    now = clock.now()
    digest_newsletter([newsroom.politics], due=now - dt.timedelta(minutes=1))
    Newsletter.objects.update(digest_last_at=now - dt.timedelta(minutes=10))  # after every story was published
    assert actions.digests_run(now=now) == []
    assert not Issue.objects.exists()


@pytest.mark.django_db
def test_it_waits_for_the_first_due_time_when_newly_enabled(newsroom):
    digest_newsletter([newsroom.politics], due=None)
    assert actions.digests_run() == []
    assert Newsletter.objects.get().digest_next_at > clock.now()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_makes_one_digest_however_many_workers_run():
    from masthead.content.tests import factories

    room = factories.newsroom()
    now = clock.now()
    digest_newsletter([room.politics], due=now - dt.timedelta(minutes=1))

    made = workers(3, lambda: actions.digests_run(now=now))

    assert not [m for m in made if isinstance(m, Exception)], made
    assert sum(len(m) for m in made) == 1
    assert Issue.objects.count() == 1
