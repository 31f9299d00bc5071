"""Finding the page for a URL without asking Wagtail's page tree, and the anonymous fast path.

Wagtail finds a page with a query per level of its URL, and each process would
otherwise unpickle the whole page from the shared cache on every request. The
route is remembered twice instead:

- in the shared cache, a small **route token** under the host, the path and the
  content generation, so any publish, unpublish, move, delete or view-restriction
  change retires every route at once, in every process;
- in this process, the page itself, stamped with the token it was found under.
  It is used only while the shared cache still holds that very token: clearing
  the cache, or a new generation, sends the next request back to Wagtail.

``AnonymousPageMiddleware`` serves remembered pages to anonymous readers without
resolving the URL or running Wagtail's serve view: it calls the page's own
``serve``, which decides (for articles, the paywall's decision, which meters)
and answers from the whole-page cache. Everything else (signed-in readers,
query strings, other methods, pages behind view restrictions, pages not yet
remembered) goes the slow way, through ``views.serve_page``.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from wagtail import hooks

from masthead.content.selectors import content_generation
from masthead.lib import stamps

ROUTE_CACHE_SECONDS = 600
# Pages remembered per process. Past this, the oldest half is forgotten; a
# forgotten page costs one slow request to remember again.
REMEMBERED_PAGES = 4096


@dataclass(frozen=True)
class RememberedRoute:
    token: str
    page: object  # the specific page, as Wagtail routed it; never handed out itself
    restrictions: tuple  # its view restrictions when it was remembered

    def private_page(self):
        """A copy of the page for one request: serving sets attributes on it."""
        page = _copy_page(self.page)
        page._cached_view_restrictions = list(self.restrictions)
        return page


def _copy_page(page):
    """A shallow copy of a model instance, as pickling would make it, without the pickling.

    ``Model.__getstate__`` copies the instance's dict and its per-instance caches
    (related objects, prefetched rows), so nothing set on the copy reaches ``page``.
    """
    clone = page.__class__.__new__(page.__class__)
    clone.__dict__.update(page.__getstate__())
    return clone


_remembered: dict[tuple[str, str], RememberedRoute] = {}


def _token_key(host: str, path: str, generation: int) -> str:
    return f"route:{host}:{path}:{generation}"


def remembered_route(request, path: str) -> RememberedRoute | None:
    """The route remembered for this request's host and ``path``, if still current; else None."""
    host = request.get_host()
    found = _remembered.get((host, path))
    if found is None:
        return None
    generation = content_generation()
    token = cache.get(_token_key(host, path, generation))
    if token != found.token:
        return None
    # The page's own cache key needs the generation too: one cache lookup serves both.
    request.content_generation = generation
    return found


def remember_route(request, path: str, page, restrictions) -> None:
    """Remember that ``path`` on this host serves ``page`` (live, found by Wagtail just now).

    Another process may already have put a token in the shared cache for this
    generation: that token is adopted rather than replaced, or two processes
    would keep retiring each other's routes.
    """
    host = request.get_host()
    key = _token_key(host, path, content_generation())
    cache.add(key, uuid.uuid4().hex, ROUTE_CACHE_SECONDS)
    token = cache.get(key)
    if token is None:  # a cache that keeps nothing (the dummy cache): never remember
        return
    if len(_remembered) >= REMEMBERED_PAGES:
        for stale in list(_remembered)[: REMEMBERED_PAGES // 2]:
            _remembered.pop(stale, None)
    # A copy: the page Wagtail found is about to be served, which sets attributes on it.
    _remembered[(host, path)] = RememberedRoute(token, _copy_page(page), tuple(restrictions))


def forget_routes() -> None:
    """Forget every page this process remembers (the shared tokens retire with the generation)."""
    _remembered.clear()


@functools.cache
def _stock_serving_hooks() -> bool:
    """True when the only page-serving hooks are Wagtail's own (method and view-restriction checks).

    The fast path skips Wagtail's serve view, and with it every serving hook:
    it is only sound while those hooks have nothing to say about a GET of an
    unrestricted page.
    """
    names = {
        f"{fn.__module__}.{fn.__name__}"
        for fn in [*hooks.get_hooks("before_serve_page"), *hooks.get_hooks("on_serve_page")]
    }
    return names <= {"wagtail.wagtail_hooks.check_request_method", "wagtail.wagtail_hooks.check_view_restrictions"}


class AnonymousPageMiddleware:
    """Serve remembered, unrestricted pages to anonymous GETs before URL resolution.

    Placed last in ``MIDDLEWARE``, so every other middleware (sessions, the
    reader's cookie, security headers) runs around it exactly as for any view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and not request.META.get("QUERY_STRING"):
            # The page's stamps (the generation, the meter rules, the offers) in one round trip.
            with stamps.read_together():
                route = remembered_route(request, request.path_info[1:])
                if (
                    route is not None
                    and not route.restrictions
                    and _stock_serving_hooks()
                    and not request.user.is_authenticated
                ):
                    return route.private_page().serve(request)
        return self.get_response(request)
