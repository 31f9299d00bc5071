"""Anonymous readers of a remembered page are served before URL resolution, with the same bytes.

The first request for a URL goes through Wagtail's serve view and remembers the
route; later anonymous GETs skip URL resolution and Wagtail's serving machinery
(``AnonymousPageMiddleware``). Signed-in readers, previews and query strings
always take the slow path.
"""

import pytest
from django.test import Client

from masthead.content.tests import factories

FAST_PATH = "masthead.content.serving.AnonymousPageMiddleware"


@pytest.fixture
def slow_calls(monkeypatch):
    """Counts the requests that reached Wagtail's serve view (the slow path)."""
    from masthead.content import views

    calls = []
    original = views.wagtail_serve

    def counting(request, path):
        calls.append(path)
        return original(request, path)

    monkeypatch.setattr(views, "wagtail_serve", counting)
    return calls


@pytest.fixture
def without_fast_path(settings):
    def switch_off():
        settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != FAST_PATH]

    return switch_off


@pytest.fixture
def story(newsroom):
    return factories.article(newsroom.politics, title="The locked story", marker="locked")


@pytest.fixture
def other_stories(newsroom):
    return [factories.article(newsroom.economy, title=f"Other story {n}") for n in range(6)]


def locked_words():
    return [f"lockedp{n}w{i}" for n in range(2, 6) for i in (0, 17, 39)]


def comparable_headers(response) -> dict:
    """The response's headers, with the reader's own cookie value (and its clock-derived expiry) left out."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    cookies = {
        name: {key: value for key, value in morsel.items() if value and key != "expires"}
        for name, morsel in response.cookies.items()
    }
    return {"headers": headers, "cookies": cookies}


def fetch(url):
    """One GET from a new anonymous reader."""
    response = Client().get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("access", ["free", "metered", "subscribers"])
def test_it_serves_the_same_bytes_and_headers_as_the_slow_path(newsroom, access, slow_calls, without_fast_path):
    from django.core.cache import cache

    url = newsroom.by_access(access).url
    first = fetch(url)  # slow: renders, caches the page, remembers the route
    fast = fetch(url)
    assert slow_calls == [url[1:]]
    assert fast.content == first.content
    assert comparable_headers(fast) == comparable_headers(first)

    without_fast_path()
    cache.clear()
    slow = fetch(url)
    assert fast.content == slow.content
    assert comparable_headers(fast) == comparable_headers(slow)


def test_a_page_rendered_inside_the_fast_path_matches_the_slow_path(visitor, story, other_stories, without_fast_path):
    from django.core.cache import cache

    fetch(story.url)  # remembers the route, with the full-story outcome cached
    for page in other_stories[:4]:
        visitor.get(page.url)
    # A new outcome (the last free article), so rendered within the fast path.
    countdown = visitor.get(story.url).content
    assert b"last free article" in countdown

    without_fast_path()
    cache.clear()
    slow_reader = Client()
    for page in other_stories[:4]:
        slow_reader.get(page.url)
    assert slow_reader.get(story.url).content == countdown


@pytest.mark.parametrize("url_of", [lambda room: "/", lambda room: room.politics.url])
def test_listings_take_the_fast_path_too(newsroom, url_of, slow_calls):
    url = url_of(newsroom)
    first = fetch(url)
    assert fetch(url).content == first.content
    assert slow_calls == [url[1:]]


def test_it_never_serves_a_signed_in_reader_from_it(client, reader, story, slow_calls):
    fetch(story.url)
    fetch(story.url)
    client.force_login(reader)
    client.get(story.url)
    client.get("/")
    assert slow_calls == [story.url[1:], story.url[1:], ""]


def test_a_query_string_takes_the_slow_path(newsroom, slow_calls):
    url = newsroom.politics.url
    fetch(url)
    assert Client().get(url, {"page": "1"}).status_code == 200
    assert slow_calls == [url[1:], url[1:]]


def test_previews_and_signed_in_readers_have_no_shared_page(newsroom, reader):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from masthead.metering.decision import Decision, Reason

    story = newsroom.by_access("metered")
    allowed = Decision(True, Reason.FREE_ARTICLE, rules_version=0)
    preview = RequestFactory().get(story.url)
    preview.user = AnonymousUser()
    preview.is_preview = True
    signed_in = RequestFactory().get(story.url)
    signed_in.user = reader
    for request in (preview, signed_in):
        assert story.rendered_page_key(request, allowed) is None
        assert newsroom.home.whole_page_key(request) is None


def test_unpublishing_takes_effect_at_once(story):
    fetch(story.url)
    fetch(story.url)
    story.unpublish()
    assert Client().get(story.url).status_code == 404


def test_an_edit_or_a_new_story_shows_at_once(newsroom, story):
    fetch(story.url), fetch(story.url), fetch("/"), fetch("/")
    page = story.get_latest_revision_as_object()
    page.title = "A headline after the edit"
    page.save_revision().publish()
    assert b"A headline after the edit" in fetch(story.url).content
    factories.article(newsroom.economy, title="Breaking: a fresh story")
    assert b"Breaking: a fresh story" in fetch("/").content


def test_it_still_meters(visitor, story, other_stories, slow_calls):
    for page in [story, *other_stories]:
        fetch(page.url)  # every route remembered
    slow_calls.clear()
    seen = [visitor.get(page.url) for page in other_stories[:3]]
    assert b"2 of 5" in seen[-1].content
    assert b"1 of 5" in visitor.get(other_stories[3].url).content
    assert b"last free article" in visitor.get(other_stories[4].url).content
    locked = visitor.get(story.url)
    html = locked.content.decode()
    assert slow_calls == []
    assert not any(word in html for word in locked_words())
    assert 'data-prompt="subscribe_or_log_in"' in html
    assert "private" in locked["Cache-Control"]
    assert "mh_reader" in seen[0].cookies


def test_a_free_story_costs_only_its_decision_log_and_the_front_page_nothing(newsroom, django_assert_num_queries):
    url = newsroom.by_access("free").url
    fetch(url), fetch("/")
    # The decision log's row (written one by one in tests, in batches in production); no
    # session, route, page or meter query.
    with django_assert_num_queries(1):
        assert Client().get(url).status_code == 200
    with django_assert_num_queries(0):
        assert Client().get("/").status_code == 200


def test_a_remembered_article_costs_three_cache_reads(visitor, story, cache_reads):
    """The page's stamps (content generation, meter rules, offers) together, then its route token and its bytes.

    With Redis, each read is a round trip: reading the stamps one by one cost two more.
    """
    url = story.url
    assert visitor.get(url).status_code == 200  # remembers the route and caches the page
    visitor.cookies.clear()
    assert visitor.get(url).status_code == 200
    cache_reads.clear()
    visitor.cookies.clear()
    response = visitor.get(url)
    assert response.status_code == 200
    assert b"lockedp2w0" in response.content  # the whole story (a first read), from the cache
    assert [kind for kind, _ in cache_reads] == ["get_many", "get", "get"], cache_reads
    assert {"content:generation", "metering:rules-stamp", "billing:offers-version"} <= set(cache_reads[0][1])
