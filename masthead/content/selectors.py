"""Read-only queries for the public site. Views and feeds call these; nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import QuerySet
from wagtail.models import Page

from masthead.content.models import ArticlePage, ContentGeneration, HomePage, SectionPage
from masthead.lib import stamps

TOP_STORIES = 6
RAIL_SIZE = 4


GENERATION_CACHE_KEY = stamps.register("content:generation")
# Every page asks for the generation, so it is served from the cache. Redis
# shares it between processes at once; with per-process caches, a publish
# elsewhere shows here within this many seconds.
GENERATION_CACHE_SECONDS = 5


def content_generation() -> int:
    """The current content generation (see ``ContentGeneration``); 0 before the first publish."""
    value = stamps.get(GENERATION_CACHE_KEY)
    if value is None:
        value = ContentGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0
        cache.set(GENERATION_CACHE_KEY, value, GENERATION_CACHE_SECONDS)
    return value


SECTIONS_CACHE_KEY = "content:sections"
SECTIONS_CACHE_SECONDS = 60


def sections() -> list[SectionPage]:
    """Live sections in tree order.

    Read on every page (navigation, article kickers), so kept in the cache.
    Publishing drops the entry; with per-process caches other processes catch
    up within ``SECTIONS_CACHE_SECONDS``.
    """
    found = cache.get(SECTIONS_CACHE_KEY)
    if found is None:
        found = list(SectionPage.objects.live().order_by("path"))
        cache.set(SECTIONS_CACHE_KEY, found, SECTIONS_CACHE_SECONDS)
    return found


def navigation_sections() -> list[SectionPage]:
    return [section for section in sections() if section.show_in_menus] or sections()


def live_articles() -> QuerySet[ArticlePage]:
    """Live articles, newest first, with what a listing needs fetched up front."""
    return (
        ArticlePage.objects.live()
        .public()
        .select_related("lead_image")
        .prefetch_related("bylines__author", "lead_image__renditions")
        .order_by("-first_published_at", "-pk")
    )


def with_sections(articles: Iterable[ArticlePage], known: list[SectionPage] | None = None) -> list[ArticlePage]:
    """Attach ``section_title`` and ``section_url`` to each article, with one query at most.

    An article's section is its parent page, found from the tree path rather
    than a query per article.
    """
    by_path = {section.path: section for section in (known if known is not None else sections())}
    result = []
    for article in articles:
        section = by_path.get(article.path[: -Page.steplen])
        article.section_title = section.title if section else ""
        article.section_url = section.url if section else ""
        result.append(article)
    return result


def front_page(home: HomePage) -> dict:
    """The lead story, the top stories, and a rail of recent stories per section."""
    all_sections = sections()
    latest = with_sections(live_articles().descendant_of(home)[: 1 + TOP_STORIES], all_sections)
    shown = {article.pk for article in latest}
    rails = []
    for section in all_sections:
        articles = [a for a in live_articles().child_of(section)[: RAIL_SIZE + TOP_STORIES] if a.pk not in shown]
        if articles:
            rails.append((section, with_sections(articles[:RAIL_SIZE], all_sections)))
    return {
        "lead": latest[0] if latest else None,
        "top_stories": latest[1:],
        "rails": rails,
    }


def section_articles(section: SectionPage) -> QuerySet[ArticlePage]:
    return live_articles().child_of(section)


def author_articles(author) -> QuerySet[ArticlePage]:
    return live_articles().filter(bylines__author=author).distinct()


def topic_articles(tag) -> QuerySet[ArticlePage]:
    return live_articles().filter(topics=tag).distinct()


def search_articles(query: str):
    """Wagtail search over live articles; headline and dek weigh most.

    The reader's text is parsed into terms first: handed over raw, a stray
    quote or control character would reach the full-text engine as syntax.
    """
    from modelsearch.utils import parse_query_string

    cleaned = "".join(char for char in query if char.isprintable())
    _filters, parsed = parse_query_string(cleaned, operator="and")
    return ArticlePage.objects.live().public().search(parsed)


def recent_articles(*, section: SectionPage | None = None, limit: int = 30) -> list[ArticlePage]:
    articles = live_articles()
    if section is not None:
        articles = articles.child_of(section)
    return with_sections(articles[:limit])
