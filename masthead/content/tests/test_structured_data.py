"""JSON-LD on article pages: a schema.org NewsArticle that never gives away a paywalled body.

For a story that is not free, search engines learn which part of the page is
reserved (``hasPart`` → ``.paywalled-content``) and get no ``articleBody``; a
free story carries its full text. Whether the selector matches is checked on the
page as a verified Googlebot gets it: that is the page Google compares the
markup with.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import extruct
import pytest
from bs4 import BeautifulSoup

from masthead.content.models import Access, ArticlePage
from masthead.content.tests import factories
from masthead.paywall.crawlers import Resolver

SITE_URL = "https://news.example.com"
PAYWALLED = ".paywalled-content"
BODY_TEXT = re.compile(r"(?:metered|free|subs|older|short)p\d+w\d+|subheading")


GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLE_IP = "66.249.66.1"
GOOGLE_NAME = "crawl-66-249-66-1.googlebot.com"


class GoogleDNS(Resolver):
    """DNS that vouches for one Googlebot address, both ways; nothing else resolves."""

    def reverse(self, ip):
        return [GOOGLE_NAME] if ip == GOOGLE_IP else []

    def forward(self, name):
        return [GOOGLE_IP] if name == GOOGLE_NAME else []


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


@pytest.fixture
def googlebot(client, settings):
    """Google's crawler, from an address DNS confirms: it gets the full text of every story."""
    settings.PAYWALL_RESOLVER = f"{__name__}.GoogleDNS"
    client.defaults.update(HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOGLE_IP)
    return client


def read(client, story: ArticlePage) -> tuple[list[dict], str]:
    """Every JSON-LD object on the story's page, and the page's HTML."""
    response = client.get(story.url)
    assert response.status_code == 200
    html = response.content.decode()
    return extruct.extract(html, base_url=SITE_URL + story.url, syntaxes=["json-ld"])["json-ld"], html


def news_article(client, story: ArticlePage) -> dict:
    found, _ = read(client, story)
    articles = [item for item in found if item.get("@type") == "NewsArticle"]
    assert len(articles) == 1, found
    return articles[0]


def parts(data: dict) -> list[dict]:
    has_part = data.get("hasPart", [])
    return has_part if isinstance(has_part, list) else [has_part]


def test_it_describes_a_story_as_a_news_article(visitor, newsroom):
    story = newsroom.by_access(Access.METERED)

    data = news_article(visitor, story)

    assert data["@context"] == "https://schema.org"
    assert data["headline"] == story.title
    assert data["description"] == story.dek
    assert data["url"] == SITE_URL + story.url
    assert data["mainEntityOfPage"]["@id"] == SITE_URL + story.url


def test_it_dates_when_a_story_was_published_and_last_modified(visitor, newsroom):
    story = newsroom.by_access(Access.SUBSCRIBERS)

    data = news_article(visitor, story)

    assert dt.datetime.fromisoformat(data["datePublished"]) == story.first_published_at
    assert dt.datetime.fromisoformat(data["dateModified"]) == story.last_published_at


def test_it_dates_an_updated_story_modified_at_its_update(visitor, newsroom):
    story = newsroom.by_access(Access.SUBSCRIBERS)
    updated = story.first_published_at + dt.timedelta(minutes=25)
    ArticlePage.objects.filter(pk=story.pk).update(updated_at=updated)

    data = news_article(visitor, story)

    assert dt.datetime.fromisoformat(data["dateModified"]) == updated
    assert dt.datetime.fromisoformat(data["datePublished"]) == story.first_published_at


def test_it_names_every_author_and_the_publisher(visitor, newsroom, settings):
    story = newsroom.by_access(Access.SUBSCRIBERS)  # by Ada Writer and Ben Reporter

    data = news_article(visitor, story)

    assert [author["name"] for author in data["author"]] == ["Ada Writer", "Ben Reporter"]
    assert all(author["@type"] == "Person" for author in data["author"])
    assert data["publisher"]["name"] == settings.PUBLICATION_NAME
    assert data["publisher"]["@type"] in {"Organization", "NewsMediaOrganization"}


@pytest.mark.parametrize(
    ("access", "free"), [(Access.FREE, True), (Access.METERED, False), (Access.SUBSCRIBERS, False)]
)
def test_it_marks_only_free_stories_accessible_for_free(visitor, newsroom, access, free):
    data = news_article(visitor, newsroom.by_access(access))

    assert data["isAccessibleForFree"] is free


@pytest.mark.parametrize("access", [Access.METERED, Access.SUBSCRIBERS])
def test_it_points_search_engines_at_the_paywalled_part_of_a_story(visitor, newsroom, access):
    data = news_article(visitor, newsroom.by_access(access))

    assert parts(data) == [{"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": PAYWALLED}]


@pytest.mark.parametrize("access", [Access.METERED, Access.SUBSCRIBERS])
def test_it_wraps_the_body_beyond_the_lead_in_in_the_paywalled_element(googlebot, newsroom, access):
    story = newsroom.by_access(access)
    marker = "metered" if access == Access.METERED else "subs"
    lead_in_paragraphs = sum(
        1 for child in list(story.body)[: story.lead_in_blocks()] if child.block_type == "paragraph"
    )

    _, html = read(googlebot, story)

    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select(PAYWALLED)) == 1
    placement = {}
    for paragraph in soup.select(".article-body p"):
        number = int(re.fullmatch(rf"{marker}p(\d+)w0", paragraph.get_text().split()[0]).group(1))
        placement[number] = paragraph.find_parent(class_=PAYWALLED.lstrip(".")) is not None
    assert placement == {n: n >= lead_in_paragraphs for n in range(6)}
    assert 0 < lead_in_paragraphs < 6


def test_it_points_at_a_paywalled_part_only_when_the_page_has_one(googlebot, newsroom):
    # Two short paragraphs: the whole story fits in the lead-in, nothing is held back.
    story = factories.article(
        newsroom.politics,
        access=Access.METERED,
        blocks=[factories.paragraph(factories.words(f"shortp{n}w", 30)) for n in range(2)],
    )
    assert story.lead_in_blocks() == len(story.body)

    data = news_article(googlebot, story)
    _, html = read(googlebot, story)

    soup = BeautifulSoup(html, "html.parser")
    for part in parts(data):
        assert soup.select(part["cssSelector"]), f"{part['cssSelector']} matches nothing on the page"


@pytest.mark.parametrize("who", ["visitor", "googlebot"])
@pytest.mark.parametrize("access", [Access.METERED, Access.SUBSCRIBERS])
def test_it_never_puts_body_text_in_the_structured_data_of_a_story_that_is_not_free(request, newsroom, access, who):
    found, _ = read(request.getfixturevalue(who), newsroom.by_access(access))

    assert found
    assert all("articleBody" not in item for item in found)
    assert BODY_TEXT.findall(json.dumps(found)) == []


def test_it_gives_the_full_text_of_a_free_story(visitor, newsroom):
    story = newsroom.by_access(Access.FREE)

    data = news_article(visitor, story)

    body = data["articleBody"]
    for n in range(6):
        assert f"freep{n}w0 " in body and f"freep{n}w39" in body, n
    assert "free subheading" in body
    assert "hasPart" not in data


def test_it_survives_a_headline_that_looks_like_markup(visitor, newsroom):
    headline = 'Budget </script><script>alert("x")</script> & more'
    story = factories.article(newsroom.economy, title=headline)

    data = news_article(visitor, story)
    _, html = read(visitor, story)

    assert data["headline"] == headline
    assert '<script>alert("x")' not in html


def test_it_keeps_the_headline_within_110_characters(visitor, newsroom):
    story = factories.article(newsroom.economy, title="A very long headline " * 8)

    data = news_article(visitor, story)

    assert len(data["headline"]) <= 110
    assert story.title.startswith(data["headline"])


def test_it_leaves_out_the_image_when_a_story_has_none(visitor, newsroom):
    data = news_article(visitor, newsroom.by_access(Access.METERED))

    assert "image" not in data
