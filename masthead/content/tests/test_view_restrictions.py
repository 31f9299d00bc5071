"""Private pages stay private, even with routes and restrictions answered from the cache."""

from wagtail.models import PageViewRestriction


def test_a_restriction_added_after_caching_applies_at_once(visitor, newsroom):
    story = newsroom.by_access("free")
    assert visitor.get(story.url).status_code == 200  # route and restrictions now cached
    PageViewRestriction.objects.create(page=newsroom.economy, restriction_type=PageViewRestriction.LOGIN)
    response = visitor.get(story.url)
    assert response.status_code == 200  # a story in another section is unaffected
    private = newsroom.by_access("subscribers")  # lives in Economy
    assert visitor.get(private.url).status_code == 302


def test_removing_the_restriction_opens_the_page_again(visitor, newsroom):
    private = newsroom.by_access("subscribers")
    restriction = PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    assert visitor.get(private.url).status_code == 302
    restriction.delete()
    assert visitor.get(private.url).status_code == 200


def test_pages_loaded_elsewhere_see_the_live_restrictions(visitor, newsroom):
    from wagtail.models import Page

    private = newsroom.by_access("subscribers")
    visitor.get(private.url)  # caches "no restrictions" for serving
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    # The admin loads pages itself, never from the route cache: it gets a live query set.
    fresh = Page.objects.get(pk=private.pk).specific
    assert fresh.get_view_restrictions().order_by("-page__depth").count() == 1
