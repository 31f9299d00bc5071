"""sitemap.xml and the Google News sitemap.

Both list absolute URLs built from ``SITE_URL``, never from the request's Host
header, and neither lists anything a visitor cannot read.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from masthead.content.models import ArticlePage, SectionPage
from masthead.content.tests import factories

SITE_URL = "https://news.example.com"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@pytest.fixture(autouse=True)
def clock():
    """The newsroom is built, and every sitemap read, at ``NOW`` (time moves on only when told)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def fetch(client, url: str) -> ET.Element:
    # The Host header is one the site accepts but is not SITE_URL's host.
    response = client.get(url, HTTP_HOST="localhost")
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own response, in a test


def locations(root: ET.Element) -> list[str]:
    return [loc.text for loc in root.findall("sm:url/sm:loc", NS)]


def news_entries(root: ET.Element) -> dict[str, ET.Element]:
    """Each ``<url>`` of a news sitemap, by its location."""
    return {url.findtext("sm:loc", namespaces=NS): url for url in root.findall("sm:url", NS)}


# -- sitemap.xml -----------------------------------------------------------------------


def test_it_lists_the_front_page_every_live_section_and_every_live_story(visitor, newsroom):
    root = fetch(visitor, "/sitemap.xml")

    paths = [urlsplit(loc).path for loc in locations(root)]
    expected = [
        "/",
        newsroom.politics.url,
        newsroom.economy.url,
        *(story.url for story in newsroom.articles),
    ]
    assert sorted(paths) == sorted(expected)


def test_it_builds_every_url_from_site_url_not_the_request_host(visitor, newsroom):
    root = fetch(visitor, "/sitemap.xml")

    locs = locations(root)
    assert locs
    assert all(loc.startswith(SITE_URL + "/") for loc in locs), locs
    assert SITE_URL + "/" in locs


def test_it_leaves_out_drafts_unpublished_and_private_pages(visitor, newsroom):
    draft = factories.article(newsroom.politics, title="Embargoed poll", live=False)
    withdrawn = factories.article(newsroom.politics, title="Retracted claim")
    withdrawn.unpublish()
    private = factories.article(newsroom.politics, title="Staff memo")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="x")
    hidden_section = newsroom.home.add_child(instance=SectionPage(title="Sport", slug="sport", live=False))

    root = fetch(visitor, "/sitemap.xml")

    paths = {urlsplit(loc).path for loc in locations(root)}
    assert newsroom.by_access("free").url in paths
    for page in [draft, withdrawn, private, hidden_section]:
        assert page.url not in paths, page.title


def test_it_dates_an_updated_story_by_its_update(visitor, newsroom):
    story = newsroom.articles[-1]  # first published 30 hours ago, the day before NOW
    ArticlePage.objects.filter(pk=story.pk).update(updated_at=NOW - dt.timedelta(hours=1))

    root = fetch(visitor, "/sitemap.xml")

    lastmod = {
        urlsplit(url.findtext("sm:loc", namespaces=NS)).path: url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }
    assert story.first_published_at.date().isoformat() == "2026-03-09"
    assert lastmod[story.url] == "2026-03-10"


def test_it_reads_the_same_number_of_queries_however_many_stories_it_lists(visitor, newsroom):
    from django.core.cache import cache

    def queries() -> int:
        cache.clear()  # the sitemap is cached for five minutes
        with CaptureQueriesContext(connection) as captured:
            assert visitor.get("/sitemap.xml").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for _ in range(5):
        factories.article(newsroom.politics)

    assert queries() == few


# -- news-sitemap.xml ------------------------------------------------------------------


def test_it_lists_only_stories_first_published_in_the_last_48_hours(visitor, newsroom):
    day_old = newsroom.articles[-1]  # 30 hours old
    almost_stale = factories.article(newsroom.economy, published=NOW - dt.timedelta(hours=47, minutes=59))
    stale = factories.article(newsroom.economy, published=NOW - dt.timedelta(hours=49))
    # Republished an hour ago, but first published 50 hours ago: old news all the same.
    republished = factories.article(newsroom.economy, published=NOW - dt.timedelta(hours=50))
    ArticlePage.objects.filter(pk=republished.pk).update(last_published_at=NOW - dt.timedelta(hours=1))

    root = fetch(visitor, "/news-sitemap.xml")

    paths = {urlsplit(loc).path for loc in news_entries(root)}
    assert day_old.url in paths
    assert almost_stale.url in paths
    assert stale.url not in paths
    assert republished.url not in paths
    assert paths == {story.url for story in [*newsroom.articles, almost_stale]}


def test_it_drops_a_story_once_it_is_more_than_48_hours_old(visitor, newsroom, clock):
    day_old = newsroom.articles[-1]  # 30 hours old
    before = {urlsplit(loc).path for loc in news_entries(fetch(visitor, "/news-sitemap.xml"))}
    assert day_old.url in before

    clock.shift(dt.timedelta(hours=19))
    # The sitemap is cached for five minutes; Redis expires entries by its own clock, not the test's.
    cache.clear()

    paths = {urlsplit(loc).path for loc in news_entries(fetch(visitor, "/news-sitemap.xml"))}
    assert day_old.url not in paths
    assert newsroom.by_access("metered").url in paths  # 20 hours old now


def test_it_describes_each_story_for_google_news(visitor, newsroom, settings):
    root = fetch(visitor, "/news-sitemap.xml")

    entries = news_entries(root)
    assert len(entries) == len(newsroom.articles)
    for story in newsroom.articles:
        url = entries[SITE_URL + story.url]
        news = url.find("news:news", NS)
        assert news.findtext("news:publication/news:name", namespaces=NS) == settings.PUBLICATION_NAME
        assert news.findtext("news:publication/news:language", namespaces=NS) == "en"
        published = dt.datetime.fromisoformat(news.findtext("news:publication_date", namespaces=NS))
        assert published.tzinfo is not None
        assert published == story.first_published_at
        assert news.findtext("news:title", namespaces=NS) == story.title


def test_it_gives_google_news_the_bare_language_code(visitor, newsroom, settings):
    settings.PUBLICATION_LANGUAGE = "en-GB"

    root = fetch(visitor, "/news-sitemap.xml")

    languages = {el.text for el in root.iterfind("sm:url/news:news/news:publication/news:language", NS)}
    assert languages == {"en"}


def test_it_keeps_the_news_sitemap_well_formed_whatever_the_headline(visitor, newsroom):
    headline = "Bread & butter <prices> rise 'again' \"sharply\""
    story = factories.article(newsroom.economy, title=headline)

    root = fetch(visitor, "/news-sitemap.xml")

    assert news_entries(root)[SITE_URL + story.url].findtext("news:news/news:title", namespaces=NS) == headline


def test_it_leaves_drafts_unpublished_and_private_stories_out_of_the_news_sitemap(visitor, newsroom):
    factories.article(newsroom.politics, title="Embargoed poll", live=False)
    withdrawn = factories.article(newsroom.politics, title="Retracted claim")
    withdrawn.unpublish()
    private = factories.article(newsroom.politics, title="Staff memo")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="x")

    root = fetch(visitor, "/news-sitemap.xml")

    titles = {el.text for el in root.iterfind("sm:url/news:news/news:title", NS)}
    assert titles == {story.title for story in newsroom.articles}
    assert all(loc.startswith(SITE_URL + "/") for loc in news_entries(root))
