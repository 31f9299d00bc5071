"""RSS and Atom feeds: the newest live stories, headline and dek only.

A feed is a public copy that aggregators keep for ever, so no body text of any
story may reach one. The newsroom's bodies are made of marker words
(``meteredp0w0`` … ``subsp5w39``) so a leak is easy to spot in the raw bytes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from urllib.parse import urlsplit

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from masthead.content.models import Access, SectionPage
from masthead.content.tests import factories

SITE_URL = "https://news.example.com"
SITE_FEEDS = ["/feeds/rss.xml", "/feeds/atom.xml"]
ALL_FEEDS = [*SITE_FEEDS, "/feeds/politics/rss.xml", "/feeds/politics/atom.xml"]
ALL_FEEDS += ["/feeds/economy/rss.xml", "/feeds/economy/atom.xml"]

# Any word of any newsroom body, plus the subheading each body carries.
BODY_TEXT = re.compile(rb"(?:metered|free|subs|older)p\d+w\d+|subheading")


def fetch(client, url: str, **extra) -> feedparser.FeedParserDict:
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    feed = feedparser.parse(response.content)
    assert not feed.bozo, f"{url} is not well-formed: {feed.get('bozo_exception')}"
    return feed


def as_utc(parsed) -> dt.datetime:
    """feedparser's UTC ``struct_time`` as an aware datetime."""
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC)


def whole_seconds(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


@pytest.mark.parametrize("url", SITE_FEEDS)
def test_it_lists_every_live_story_newest_first(visitor, newsroom, url):
    latest = factories.article(newsroom.economy, title="Just in: the budget vote")

    feed = fetch(visitor, url)

    newest_first = [
        latest,
        *sorted(newsroom.articles, key=lambda a: a.first_published_at, reverse=True),
    ]
    assert [entry.title for entry in feed.entries] == [story.title for story in newest_first]


@pytest.mark.parametrize("url", ["/feeds/rss.xml", "/feeds/atom.xml"])
def test_it_serves_each_format_with_its_content_type(visitor, newsroom, url):
    response = visitor.get(url)

    expected = "application/rss+xml" if url.endswith("rss.xml") else "application/atom+xml"
    assert response["Content-Type"].split(";")[0] == expected
    assert fetch(visitor, url).version == ("rss20" if expected.endswith("rss+xml") else "atom10")


@pytest.mark.parametrize("url", ALL_FEEDS)
def test_it_links_each_story_to_its_page_with_an_absolute_url(visitor, newsroom, url):
    by_title = {story.title: story for story in newsroom.articles}

    feed = fetch(visitor, url)

    assert feed.entries
    for entry in feed.entries:
        link = urlsplit(entry.link)
        assert link.scheme in {"http", "https"} and link.netloc, entry.link
        assert link.path == by_title[entry.title].url


@pytest.mark.parametrize("url", SITE_FEEDS)
def test_it_builds_links_from_site_url_not_the_request_host(visitor, newsroom, settings, url):
    settings.SITE_URL = SITE_URL
    by_title = {story.title: story for story in newsroom.articles}

    feed = fetch(visitor, url, HTTP_HOST="localhost")

    assert feed.entries
    for entry in feed.entries:
        assert entry.link == SITE_URL + by_title[entry.title].url
    assert feed.feed.link.startswith(SITE_URL + "/")


@pytest.mark.parametrize("url", SITE_FEEDS)
def test_it_dates_each_story_when_it_was_first_published(visitor, newsroom, url):
    by_title = {story.title: story for story in newsroom.articles}

    feed = fetch(visitor, url)

    for entry in feed.entries:
        story = by_title[entry.title]
        assert as_utc(entry.published_parsed) == whole_seconds(story.first_published_at)


def test_it_gives_an_updated_story_its_update_time_in_atom(visitor, newsroom):
    story = newsroom.by_access(Access.METERED)
    corrected = story.first_published_at + dt.timedelta(minutes=40)
    type(story).objects.filter(pk=story.pk).update(updated_at=corrected)

    feed = fetch(visitor, "/feeds/atom.xml")

    entry = next(entry for entry in feed.entries if entry.title == story.title)
    assert as_utc(entry.updated_parsed) == whole_seconds(corrected)
    assert as_utc(entry.published_parsed) == whole_seconds(story.first_published_at)


@pytest.mark.parametrize("url", SITE_FEEDS)
def test_it_names_every_author_of_a_story(visitor, newsroom, url):
    feed = fetch(visitor, url)

    authors = {entry.title: entry.author for entry in feed.entries}
    assert authors[newsroom.by_access(Access.SUBSCRIBERS).title] == "Ada Writer, Ben Reporter"
    assert authors[newsroom.by_access(Access.FREE).title] == "Ben Reporter"


@pytest.mark.parametrize("url", SITE_FEEDS)
def test_it_carries_the_dek_as_each_story_summary(visitor, newsroom, url):
    feed = fetch(visitor, url)

    summaries = {entry.title: entry.summary for entry in feed.entries}
    assert summaries == {story.title: story.dek for story in newsroom.articles}


@pytest.mark.parametrize("url", ALL_FEEDS)
def test_it_never_carries_body_text(visitor, newsroom, url):
    response = visitor.get(url)

    assert response.status_code == 200
    titles = {entry.title for entry in feedparser.parse(response.content).entries}
    assert titles, "the feed must list stories for this check to mean anything"
    assert BODY_TEXT.findall(response.content) == []


def test_it_carries_only_the_dek_of_a_free_story(visitor, newsroom):
    free = newsroom.by_access(Access.FREE)

    feed = fetch(visitor, "/feeds/rss.xml")

    entry = next(entry for entry in feed.entries if entry.title == free.title)
    assert entry.summary == free.dek
    assert "content" not in entry


@pytest.mark.parametrize("url", [*SITE_FEEDS, "/feeds/politics/rss.xml", "/feeds/politics/atom.xml"])
def test_it_leaves_out_drafts_unpublished_and_private_stories(visitor, newsroom, url):
    factories.article(newsroom.politics, title="Draft: embargoed poll", live=False)
    withdrawn = factories.article(newsroom.politics, title="Withdrawn: retracted claim")
    withdrawn.unpublish()
    private = factories.article(newsroom.politics, title="Private: staff memo")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="x")

    feed = fetch(visitor, url)

    titles = {entry.title for entry in feed.entries}
    assert titles  # the section still has its live stories
    assert not titles & {
        "Draft: embargoed poll",
        "Withdrawn: retracted claim",
        "Private: staff memo",
    }


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_it_limits_a_section_feed_to_that_section(visitor, newsroom, fmt):
    feed = fetch(visitor, f"/feeds/politics/{fmt}.xml")

    politics = [story for story in newsroom.articles if story.get_parent().pk == newsroom.politics.pk]
    assert {entry.title for entry in feed.entries} == {story.title for story in politics}
    assert feed.feed.title.endswith(": Politics")


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_it_answers_404_for_a_section_that_does_not_exist(visitor, newsroom, fmt):
    response = visitor.get(f"/feeds/no-such-section/{fmt}.xml")

    assert response.status_code == 404


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_it_answers_404_for_a_section_that_is_not_live(visitor, newsroom, fmt):
    newsroom.home.add_child(instance=SectionPage(title="Sport", slug="sport", live=False))

    response = visitor.get(f"/feeds/sport/{fmt}.xml")

    assert response.status_code == 404


@pytest.mark.parametrize("url", ["/feeds/rss.xml", "/feeds/politics/atom.xml"])
def test_it_reads_the_same_number_of_queries_however_many_stories_it_lists(visitor, newsroom, url):
    def queries() -> int:
        """Queries for one read of the feed, once per-process caches are warm."""
        assert visitor.get(url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            assert visitor.get(url).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for _ in range(5):
        factories.article(newsroom.politics, authors=[factories.author("Cy Columnist")])

    assert queries() == few
