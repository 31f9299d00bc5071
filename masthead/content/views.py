"""Public views that are not Wagtail pages: authors, topics, search, robots, health."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from taggit.models import Tag
from wagtail.models import Page
from wagtail.views import serve as wagtail_serve

from masthead.content import selectors, serving
from masthead.content.models import Author, ServedPage

PAGE_SIZE = 12
MAX_QUERY_LENGTH = 200


def _paginate(request, items):
    page_obj = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return page_obj, selectors.with_sections(page_obj.object_list)


@require_safe
def author(request, slug: str):
    person = get_object_or_404(Author, slug=slug)
    page_obj, articles = _paginate(request, selectors.author_articles(person))
    return render(request, "content/author_page.html", {"author": person, "articles": articles, "page_obj": page_obj})


@require_safe
def topic(request, slug: str):
    tag = get_object_or_404(Tag, slug=slug)
    page_obj, articles = _paginate(request, selectors.topic_articles(tag))
    return render(request, "content/topic_page.html", {"topic": tag, "articles": articles, "page_obj": page_obj})


@require_safe
def search(request):
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    context = {"query": query, "results": [], "page_obj": None, "total": 0}
    if query:
        page_obj, results = _paginate(request, selectors.search_articles(query))
        context.update(results=results, page_obj=page_obj, total=page_obj.paginator.count)
    response = render(request, "content/search_results.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
@cache_control(public=True, max_age=3600)
def robots_txt(request):
    return render(request, "content/robots.txt", {"site_url": settings.SITE_URL}, content_type="text/plain")


def serve_page(request, path: str):
    """Wagtail's page serving, with the route from URL to page remembered.

    Finding a page costs Wagtail a query per level of the URL plus the site
    lookup. The route is remembered under the content generation (see
    ``serving``), so any publish, unpublish, move, delete or view-restriction
    change retires every remembered route at once. Wagtail's ``serve`` view
    still runs every serving hook (view restrictions included); it reads the
    route from ``request._wagtail_route_for_request``, its documented
    per-request cache of ``Page.route_for_request``.
    """
    remembered = serving.remembered_route(request, path)
    if remembered is not None:
        request._wagtail_route_for_request = (remembered.private_page(), [], {})
    else:
        route = Page.route_for_request(request, path)
        if route is not None:
            page, args, kwargs = route
            if page.live and isinstance(page, ServedPage) and not args and not kwargs:
                restrictions = list(page.get_view_restrictions())
                serving.remember_route(request, path, page, restrictions)
                page._cached_view_restrictions = restrictions
    return wagtail_serve(request, path)


@require_safe
def healthz(request):
    """Liveness: answers without touching the database (also the benchmark's baseline)."""
    return HttpResponse("ok\n", content_type="text/plain")
