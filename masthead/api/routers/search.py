"""Search: the website's search (Wagtail's search backend), as summaries with the dek and never body text."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from masthead.api import present
from masthead.api.errors import responses
from masthead.api.routers.search_schemas import SearchIn, SearchOut
from masthead.content import selectors

router = Router(tags=["search"])


@router.get("", response=responses({200: SearchOut}), summary="Search articles", auth=None)
def search(request: HttpRequest, params: Query[SearchIn]):
    """Live articles matching ``q``, best first; ``page`` counts from 1."""
    query = params.q.strip()
    if not query:
        return {"query": query, "total": 0, "page": params.page, "items": []}
    results = selectors.search_articles(query)
    start = (params.page - 1) * params.limit
    found = list(results[start : start + params.limit])
    total = results.count() if found or start else len(found)
    articles = list(
        selectors.live_articles().prefetch_related("topics").filter(pk__in=[article.pk for article in found])
    )
    by_pk = {article.pk: article for article in selectors.with_sections(articles)}
    return {
        "query": query,
        "total": total,
        "page": params.page,
        "items": [present.summary(by_pk[article.pk]) for article in found if article.pk in by_pk],
    }
