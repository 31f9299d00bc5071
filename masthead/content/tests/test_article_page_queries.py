"""The article page is the hottest path: its query count is pinned."""

from masthead.content.tests import factories

# Wagtail's routing: site, the page at each level of the path, the specific
# page, alias and view-restriction checks.
ROUTING = 8
# The content generation (fragment-cache key) and the cached sections.
OURS = 1


def test_it_serves_a_cached_article_in_a_fixed_number_of_queries(visitor, newsroom, django_assert_num_queries):
    story = newsroom.by_access("metered")
    visitor.get(story.url)  # warms the fragment cache
    with django_assert_num_queries(ROUTING + OURS):
        response = visitor.get(story.url)
    assert response.status_code == 200


def test_a_cold_article_does_not_query_per_author_or_block(visitor, newsroom, django_assert_max_num_queries):
    authors = [factories.author(f"Writer {n}") for n in range(5)]
    story = factories.article(newsroom.politics, authors=authors, topics=["One", "Two", "Three"])
    with django_assert_max_num_queries(ROUTING + OURS + 6):
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


def test_the_front_page_is_cached_until_something_is_published(visitor, newsroom, django_assert_max_num_queries):
    visitor.get("/")
    with django_assert_max_num_queries(5):
        visitor.get("/")
    factories.article(newsroom.economy, title="Breaking: a fresh story")
    assert "Breaking: a fresh story" in visitor.get("/").content.decode()
