"""An article page's <title>, meta description, Open Graph and Twitter tags.

These are what a link preview or a search result shows, to anyone, so they
carry the headline and the dek and never a word of the body.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup

from masthead.content.models import Access
from masthead.content.tests import factories

SITE_URL = "https://news.example.com"
BODY_TEXT = re.compile(r"(?:metered|free|subs|older)p\d+w\d+|subheading")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def head(client, story, **extra) -> BeautifulSoup:
    response = client.get(story.url, **extra)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").head


def meta(soup: BeautifulSoup, key: str) -> str:
    """The content of the one <meta> named (or with the property) ``key``."""
    tags = soup.find_all("meta", attrs={"name": key}) + soup.find_all("meta", attrs={"property": key})
    assert len(tags) == 1, f"expected one <meta> for {key}, found {len(tags)}"
    return tags[0]["content"]


@pytest.mark.parametrize("access", [Access.FREE, Access.METERED, Access.SUBSCRIBERS])
def test_it_describes_a_story_by_its_headline_and_dek(visitor, newsroom, access):
    story = newsroom.by_access(access)

    soup = head(visitor, story)

    assert soup.title.get_text().startswith(story.title)
    assert meta(soup, "description") == story.dek
    assert meta(soup, "og:type") == "article"
    assert meta(soup, "og:title") == story.title
    assert meta(soup, "og:description") == story.dek
    assert meta(soup, "twitter:card") in {"summary", "summary_large_image"}
    assert meta(soup, "twitter:title") == story.title
    assert meta(soup, "twitter:description") == story.dek


@pytest.mark.parametrize("access", [Access.FREE, Access.METERED, Access.SUBSCRIBERS])
def test_it_never_puts_body_text_in_the_title_or_any_meta_tag(visitor, newsroom, access):
    story = newsroom.by_access(access)

    soup = head(visitor, story)

    texts = [soup.title.get_text()] + [tag.get("content", "") for tag in soup.find_all("meta")]
    assert len(texts) > 8
    assert [text for text in texts if BODY_TEXT.search(text)] == []


def test_it_gives_an_absolute_canonical_url_from_site_url_not_the_request_host(visitor, newsroom):
    story = newsroom.by_access(Access.METERED)

    soup = head(visitor, story, HTTP_HOST="localhost")

    canonical = soup.find_all("link", rel="canonical")
    assert [link["href"] for link in canonical] == [SITE_URL + story.url]
    assert meta(soup, "og:url") == SITE_URL + story.url


def test_it_gives_the_time_the_story_was_published(visitor, newsroom):
    story = newsroom.by_access(Access.METERED)

    soup = head(visitor, story)

    published = dt.datetime.fromisoformat(meta(soup, "article:published_time"))
    assert published == story.first_published_at


def test_it_prefers_the_editors_search_description_and_seo_title(visitor, newsroom):
    story = factories.article(
        newsroom.politics,
        title="Vote count drags on",
        search_description="Why the count is slow, explained.",
        seo_title="Why is the vote count so slow?",
    )

    soup = head(visitor, story)

    assert meta(soup, "description") == "Why the count is slow, explained."
    assert soup.title.get_text().startswith("Why is the vote count so slow?")
    assert meta(soup, "og:title") == "Vote count drags on"
    assert meta(soup, "og:description") == story.dek


def test_it_keeps_quotes_and_markup_in_a_headline_inside_the_attribute(visitor, newsroom):
    headline = 'Minister: "No <b>deal</b>" & no regrets'
    dek = 'She said "never" <i>again</i>.'
    story = factories.article(newsroom.politics, title=headline, dek=dek)

    soup = head(visitor, story)

    assert meta(soup, "og:title") == headline
    assert meta(soup, "twitter:title") == headline
    assert meta(soup, "description") == dek
    assert soup.find("b") is None and soup.find("i") is None
