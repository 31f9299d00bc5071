"""The article page is the hottest path: its query count is pinned."""

import pytest
from django.db import connection

from masthead.content.tests import factories

# The route and the page's view restrictions are remembered; the page itself is cached whole.
ROUTING = 0
# A re-read in a process that has not seen the reader before: one read of the reader's window,
# nothing to write. (A process that counted the article answers from memory: no query.)
METER = 1
# The decision log (written one by one in tests; in batches in production).
EVENT = 1
OURS = METER + EVENT


@pytest.fixture
def database_meter(settings):
    """These counts include the database store's queries, whatever store the run uses."""
    from masthead.metering.stores import get_store

    settings.METER_STORE = "database"
    get_store.cache_clear()
    yield
    get_store.cache_clear()


def meter_queries(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "metering_meterwindow" in query["sql"]]


def test_it_serves_a_cached_article_in_a_fixed_number_of_queries(
    visitor, newsroom, database_meter, django_assert_num_queries
):
    from masthead.metering.rereads import rereads

    story = newsroom.by_access("metered")
    visitor.get(story.url)  # warms the route and page caches; the read rides in the new cookie
    visitor.get(story.url)  # writes that read to the store
    rereads.forget()  # as another web process would find it
    with django_assert_num_queries(ROUTING + OURS) as captured:
        response = visitor.get(story.url)
    assert response.status_code == 200
    assert len(meter_queries(captured)) == 1  # SQLite: a SELECT; PostgreSQL: the one-statement consume


def test_a_reread_this_process_counted_is_the_decision_log_alone(
    visitor, newsroom, database_meter, django_assert_num_queries
):
    story = newsroom.by_access("metered")
    visitor.get(story.url)
    visitor.get(story.url)
    with django_assert_num_queries(ROUTING + EVENT):
        response = visitor.get(story.url)
    assert response.status_code == 200


def test_a_new_readers_first_article_never_touches_the_meter_store(
    visitor, newsroom, database_meter, django_assert_num_queries
):
    from django.test import Client

    story = newsroom.by_access("metered")
    visitor.get(story.url)  # warms the route and page caches
    with django_assert_num_queries(ROUTING + EVENT) as captured:
        response = Client().get(story.url)  # no cookie: a reader minted by this request
    assert response.status_code == 200
    assert "mh_reader" in response.cookies
    assert meter_queries(captured) == []


def test_the_second_view_writes_the_first_read_then_counts_the_new_one(
    visitor, newsroom, database_meter, django_assert_num_queries
):
    first, second = newsroom.by_access("metered"), factories.article(newsroom.economy, title="A second story")
    visitor.get(second.url)  # warms its caches, as another reader
    visitor.cookies.clear()
    visitor.get(first.url)
    # The first read: one INSERT with no SELECT before it; the second: the compare-and-set. On
    # PostgreSQL each is the store's one-statement consume.
    expected = ["INSERT", "SELECT", "UPDATE"] if connection.vendor == "sqlite" else ["WITH", "WITH"]
    with django_assert_num_queries(ROUTING + len(expected) + EVENT) as captured:
        visitor.get(second.url)
    assert [sql.split()[0] for sql in meter_queries(captured)] == expected


def test_a_cold_article_does_not_query_per_author_or_block(
    visitor, newsroom, database_meter, django_assert_max_num_queries
):
    authors = [factories.author(f"Writer {n}") for n in range(5)]
    story = factories.article(newsroom.politics, authors=authors, topics=["One", "Two", "Three"])
    # Cold: Wagtail's full routing (sites, a page per path level, the specific page, its
    # aliases and view restrictions: 9), the generation, the rules, the reader's first meter
    # write (6 with savepoints), the sections, bylines with their authors in one query, and
    # topics. Five authors must not add five queries.
    with django_assert_max_num_queries(9 + 2 + 6 + EVENT + 3):
        response = visitor.get(story.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert all(person.name in html for person in authors)


def test_an_edit_shows_at_once_despite_the_cache(visitor, newsroom):
    story = newsroom.by_access("free")
    visitor.get(story.url)
    story.title = "A corrected headline"
    story.save_revision().publish()
    assert "A corrected headline" in visitor.get(story.url).content.decode()


def test_renaming_an_author_shows_on_cached_articles(visitor, newsroom):
    story = newsroom.by_access("free")
    visitor.get(story.url)
    person = story.bylines.first().author
    person.name = "Benedict Renamed"
    person.save()
    assert "Benedict Renamed" in visitor.get(story.url).content.decode()


def test_the_front_page_is_cached_until_something_is_published(visitor, newsroom, django_assert_num_queries):
    visitor.get("/")
    with django_assert_num_queries(0):
        visitor.get("/")
    factories.article(newsroom.economy, title="Breaking: a fresh story")
    assert "Breaking: a fresh story" in visitor.get("/").content.decode()
