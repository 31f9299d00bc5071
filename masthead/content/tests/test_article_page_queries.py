"""The article page is the hottest path: its query count is pinned."""

import pytest

from masthead.content.tests import factories

# The route and the page's view restrictions are remembered; the page itself is cached whole.
ROUTING = 0
# A re-read: one read of the reader's window; nothing to write.
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


def test_it_serves_a_cached_article_in_a_fixed_number_of_queries(
    visitor, newsroom, database_meter, django_assert_num_queries
):
    story = newsroom.by_access("metered")
    visitor.get(story.url)  # warms the route and fragment caches, and counts the article
    with django_assert_num_queries(ROUTING + OURS):
        response = visitor.get(story.url)
    assert response.status_code == 200


def test_a_new_readers_first_article_is_one_meter_write_with_no_read_before_it(
    visitor, newsroom, database_meter, django_assert_num_queries
):
    from django.test import Client

    story = newsroom.by_access("metered")
    visitor.get(story.url)  # warms the route and page caches
    with django_assert_num_queries(ROUTING + 1 + EVENT) as captured:
        response = Client().get(story.url)  # no cookie: a reader minted by this request
    assert response.status_code == 200
    assert "mh_reader" in response.cookies
    meter = [query["sql"] for query in captured.captured_queries if "metering_meterwindow" in query["sql"]]
    assert len(meter) == 1 and "INSERT" in meter[0]


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
