"""Anonymous article pages are cached whole, one entry per outcome, and never mixed up."""

from masthead.paywall.tests.conftest import read_all


def body_of(response):
    return response.content.decode()


def test_a_cached_lead_in_page_never_carries_the_locked_part(client, reader, subscribe, story, other_stories):
    # Someone entitled reads first, filling the cache with the full story...
    subscribe(reader)
    client.force_login(reader)
    assert all(word in body_of(client.get(story.url)) for word in story.locked_words())
    # ...and an anonymous reader with free articles left fills the full, anonymous entry.
    from django.test import Client

    Client().get(story.url)
    # A reader (another browser) whose meter ran out still gets the lead-in only.
    spent = Client()
    read_all(spent, other_stories[:5])
    html = body_of(spent.get(story.url))
    assert not any(word in html for word in story.locked_words())
    assert 'data-prompt="subscribe_or_log_in"' in html


def test_the_cached_page_matches_a_fresh_render(visitor, story, django_assert_max_num_queries):
    from django.core.cache import cache
    from django.test import Client

    first = body_of(Client().get(story.url))
    again = body_of(Client().get(story.url))
    assert first == again
    cache.clear()
    assert body_of(Client().get(story.url)) == first


def test_each_countdown_step_is_its_own_page(visitor, story, other_stories):
    from django.test import Client

    read_all(visitor, other_stories[:3])
    html = body_of(visitor.get(story.url))
    assert "1 of 5" in html and "free article" in html
    fresh = body_of(Client().get(story.url))
    assert "meter-notice" not in fresh


def test_an_edit_replaces_the_cached_page(visitor, story):
    from django.test import Client

    Client().get(story.url)
    story.page.title = "A headline after the edit"
    story.page.save_revision().publish()
    assert "A headline after the edit" in body_of(Client().get(story.url))
