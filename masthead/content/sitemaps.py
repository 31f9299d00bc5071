"""sitemap.xml for sections and articles, and a Google News sitemap."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_page

from masthead.content.models import ArticlePage, HomePage, SectionPage
from masthead.lib import clock

NEWS_WINDOW = dt.timedelta(hours=48)
NEWS_LIMIT = 1000  # the most a news sitemap may list


class _PageSitemap(Sitemap):
    """Absolute URLs come from SITE_URL, never from the request's Host header."""

    @property
    def protocol(self):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def location(self, item):
        return item.url

    def lastmod(self, item):
        return item.last_published_at


class HomeSitemap(_PageSitemap):
    changefreq = "hourly"
    priority = 1.0

    def items(self):
        return HomePage.objects.live().public()


class SectionSitemap(_PageSitemap):
    changefreq = "hourly"
    priority = 0.8

    def items(self):
        return SectionPage.objects.live().public().order_by("path")


class ArticleSitemap(_PageSitemap):
    changefreq = "daily"
    priority = 0.6
    limit = 5000

    def items(self):
        return (
            ArticlePage.objects.live()
            .public()
            .order_by("-first_published_at", "-pk")
            .only("url_path", "last_published_at", "first_published_at", "updated_at", "path", "depth")
        )

    def lastmod(self, item):
        return item.updated_at if getattr(item, "updated_at", None) else item.last_published_at


SITEMAPS = {"home": HomeSitemap, "sections": SectionSitemap, "articles": ArticleSitemap}


@cache_page(300)
def news_sitemap(request):
    """The Google News sitemap: stories first published in the last 48 hours."""
    since = clock.now() - NEWS_WINDOW
    articles = (
        ArticlePage.objects.live()
        .public()
        .filter(first_published_at__gte=since)
        .order_by("-first_published_at")[:NEWS_LIMIT]
    )
    xml = render_to_string(
        "content/news_sitemap.xml",
        {
            "articles": articles,
            "site_url": settings.SITE_URL,
            "publication_name": settings.PUBLICATION_NAME,
            "language": settings.PUBLICATION_LANGUAGE.split("-")[0],
        },
    )
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")
