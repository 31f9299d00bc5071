"""Cursor pagination: newest first, stable on ties, every article exactly once."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.api import cursors
from masthead.api.tests.conftest import error_of
from masthead.content.models import ArticlePage
from masthead.content.tests import factories
from masthead.lib import clock


def all_pages(api, **params) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        response = api.get("/articles", {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_it_walks_every_article_once_newest_first_even_when_published_together(api, newsroom):
    same_instant = clock.now() - dt.timedelta(minutes=30)
    for n in range(5):
        factories.article(newsroom.politics, title=f"Same time {n}", published=same_instant)
    pages = all_pages(api, limit=2)
    seen = [pk for page in pages for pk in page]
    expected = list(ArticlePage.objects.live().order_by("-first_published_at", "-pk").values_list("pk", flat=True))
    assert seen == expected
    assert len(set(seen)) == len(seen) == 9
    assert [len(page) for page in pages] == [2, 2, 2, 2, 1]


def test_it_filters_by_section_and_by_topic(api, newsroom):
    politics = [pk for page in all_pages(api, section="politics") for pk in page]
    assert politics == [a.pk for a in newsroom.articles if a.get_parent().slug == "politics"]
    budget = [pk for page in all_pages(api, topic="budget", limit=1) for pk in page]
    assert sorted(budget) == sorted(a.pk for a in newsroom.articles if "Budget" in [t.name for t in a.topics.all()])


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "W10",
        "WyJ4IiwxXQ",
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXQ",  # a time without a zone
        "WyI5OTk5LTEyLTMxVDIzOjAwOjAwLTIzOjAwIiw1XQ",  # past the calendar's end once in UTC
        "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiw1XQ",  # before its start once in UTC
        "_w",  # not UTF-8 once decoded
    ],
)
def test_a_cursor_we_did_not_give_out_is_422(api, newsroom, cursor):
    response = api.get("/articles", {"cursor": cursor})
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "cursor"


@given(
    # Hypothesis takes naive bounds; ``timezones`` makes every generated time aware.
    st.datetimes(
        timezones=st.just(dt.UTC),
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    ),
    st.integers(min_value=1, max_value=2**63 - 1),
)
def test_a_cursor_decodes_to_what_it_encodes(published_at, pk):
    assert cursors.decode(cursors.encode(published_at, pk)) == (published_at, pk)
