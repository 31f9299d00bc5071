"""Articles: listings by section or topic, and one article as its blocks, cut by the paywall's decision."""

from __future__ import annotations

import dataclasses

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from ninja import Query, Router
from taggit.models import Tag

from masthead.api import caching, cursors, present
from masthead.api.auth import reader_auth
from masthead.api.errors import ApiError, responses
from masthead.api.routers.articles_schemas import ArticleListIn, ArticleOut, ArticlePageOut
from masthead.content import selectors
from masthead.content.models import ArticlePage

router = Router(tags=["articles"])


@router.get("", response=responses({200: ArticlePageOut, 304: None}, 404), summary="List articles", auth=None)
def list_articles(request: HttpRequest, filters: Query[ArticleListIn]):
    """Live articles, newest first, optionally in one section or under one topic.

    Follow ``next_cursor`` for the next page. Send the ETag back as If-None-Match to get 304 when nothing changed.
    """
    articles = selectors.live_articles().prefetch_related("topics")
    if filters.section:
        section = next((s for s in selectors.sections() if s.slug == filters.section), None)
        if section is None:
            raise ApiError(404, "not_found", "There is no such section.")
        articles = articles.child_of(section)
    if filters.topic:
        tag = get_object_or_404(Tag, slug=filters.topic)
        articles = articles.filter(topics=tag).distinct()
    if filters.cursor:
        try:
            articles = articles.filter(cursors.after(filters.cursor))
        except cursors.BadCursor:
            raise _bad_cursor() from None
    page = selectors.with_sections(articles[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    last = page[-1] if page else None
    payload = ArticlePageOut(
        items=[present.summary(article) for article in page],
        next_cursor=cursors.encode(last.first_published_at, last.pk) if more and last else None,
    )
    return caching.conditional_json(request, payload)


def _bad_cursor():
    from ninja.errors import ValidationError

    return ValidationError([{"loc": ("query", "cursor"), "msg": "This cursor is not one we gave out."}])


# How long one article's serialised form is kept. Its key carries the content generation and the
# rules version, so a publish, an unpublish, a view restriction or new rules retire it at once.
ARTICLE_CACHE_SECONDS = 600


@dataclasses.dataclass(frozen=True)
class _ArticleFacts:
    """What the gate asks of an article (its id and access class), without loading the page."""

    pk: int
    access: str


def _article_entry(article_id: int) -> dict | None:
    """The article as the API shows it, every block serialised in body order; None when not live and public.

    Cached under the content generation, as the website's route cache is: the same events retire both.
    """
    from django.core.cache import cache

    from masthead.metering.policy import current_rules

    rules = current_rules()
    key = f"api:article:{article_id}:{selectors.content_generation()}:{rules.version}"
    entry = cache.get(key)
    if entry is None:
        article = (
            ArticlePage.objects.live()
            .public()
            .select_related("lead_image")
            .prefetch_related("topics", "bylines__author")
            .filter(pk=article_id)
            .first()
        )
        if article is None:
            return None
        selectors.with_sections([article])
        entry = {
            "pk": article.pk,
            "access": article.access,
            "url": article.url or "/",
            "summary": {**present.summary(article), "dateline": article.dateline},
            # One entry per body block (None for a block an app cannot show), so the lead-in's count applies.
            "blocks": [present.block(child) for child in article.body],
            "lead_in": article.cached_lead_in_blocks(rules),
        }
        cache.set(key, entry, ARTICLE_CACHE_SECONDS)
    return entry


@router.get("/{article_id}", response=responses({200: ArticleOut}, 401, 403, 404), auth=reader_auth)
def article_detail(request: HttpRequest, article_id: int, response: HttpResponse):
    """One article, with the body blocks this reader may read and why.

    The same decision as the article's web page, counted in the same meter
    window: when ``access.allowed`` is false, ``body`` holds only the lead-in
    and the locked blocks are not in the response at all.
    """
    from masthead.billing.selectors import reader_standing
    from masthead.paywall.gate import article_decision
    from masthead.paywall.personalise import personalise
    from masthead.paywall.prompts import prompt_for

    entry = _article_entry(article_id) if 0 < article_id < 2**63 else None
    if entry is None:
        raise ApiError(404, "not_found", "There is no such article.")
    decision = article_decision(request, _ArticleFacts(entry["pk"], entry["access"]))
    blocks = entry["blocks"]
    if not decision.allowed:
        # The cut happens here, before anything is serialised: the locked blocks never reach the response.
        blocks = blocks[: entry["lead_in"]]
    prompt = prompt_for(decision, next_url=entry["url"], segment=reader_standing(request.user).segment)
    if prompt is not None and prompt.offers:
        # The same offer tokens as the web prompt's, bound to this reader's key (a:<account> or d:<device>).
        offers = tuple(
            dataclasses.replace(offer, url=personalise(offer.url.encode(), request).decode()) for offer in prompt.offers
        )
        prompt = dataclasses.replace(prompt, offers=offers)
    # What this reader may read, counted for them: no cache may keep or share it.
    patch_cache_control(response, private=True, no_store=True)
    return {
        **entry["summary"],
        "body": [block for block in blocks if block is not None],
        "access": present.access(decision, prompt),
    }
