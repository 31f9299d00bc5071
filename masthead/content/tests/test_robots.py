"""robots.txt: keeps crawlers out of the admin and points them at the sitemaps."""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest

SITE_URL = "https://news.example.com"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def robots(client) -> RobotFileParser:
    # The Host header is one the site accepts, but not SITE_URL's host.
    response = client.get("/robots.txt", HTTP_HOST="localhost")
    assert response.status_code == 200
    parser = RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


def test_it_serves_plain_text(visitor, db):
    response = visitor.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "text/plain"


@pytest.mark.parametrize("path", ["/admin/", "/admin/pages/3/edit/", "/django-admin/"])
@pytest.mark.parametrize("agent", ["*", "Googlebot"])
def test_it_keeps_crawlers_out_of_the_admin(visitor, db, path, agent):
    assert not robots(visitor).can_fetch(agent, SITE_URL + path)


def test_it_lets_crawlers_read_the_front_page_sections_stories_and_feeds(visitor, newsroom):
    parser = robots(visitor)

    story = newsroom.by_access("subscribers")
    for path in ["/", newsroom.politics.url, story.url, "/feeds/rss.xml", "/sitemap.xml", "/news-sitemap.xml"]:
        assert parser.can_fetch("Googlebot", SITE_URL + path), path


def test_it_lists_both_sitemaps_with_absolute_urls_from_site_url(visitor, db):
    assert robots(visitor).site_maps() == [f"{SITE_URL}/sitemap.xml", f"{SITE_URL}/news-sitemap.xml"]


def test_it_lists_only_sitemaps_the_site_serves(visitor, newsroom):
    for url in robots(visitor).site_maps():
        response = visitor.get(urlsplit(url).path)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/xml"), url
