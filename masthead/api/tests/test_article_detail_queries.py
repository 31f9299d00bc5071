"""The API's hot paths cost a fixed number of queries: never one per block, per author or per item."""

from masthead.api.tests.conftest import read_all_through_api


def test_a_devices_metered_read_costs_a_fixed_number_of_queries(
    device_api, other_stories, django_assert_max_num_queries
):
    from masthead.api.routers.articles import _article_entry

    read_all_through_api(device_api, other_stories[:1])  # warm the shared caches (rules, sections)
    _article_entry(other_stories[1].pk)  # as after any reader's first read of the story
    # The device's token, the meter window (read, then written), the decision's log.
    with django_assert_max_num_queries(4):
        assert device_api.get(f"/articles/{other_stories[1].pk}").status_code == 200


def test_the_first_read_of_a_story_costs_a_few_more(device_api, other_stories, django_assert_max_num_queries):
    read_all_through_api(device_api, other_stories[:1])
    with django_assert_max_num_queries(9):
        assert device_api.get(f"/articles/{other_stories[1].pk}").status_code == 200


def test_a_listing_costs_a_fixed_number_of_queries(api, other_stories, django_assert_max_num_queries):
    api.get("/articles")
    with django_assert_max_num_queries(5):
        assert api.get("/articles", {"limit": 12}).status_code == 200
