"""An article's serialised blocks are kept, but a correction, an unpublish or new rules show at the next read."""

from masthead.content.tests import factories


def test_a_correction_shows_at_the_next_read(device_api, newsroom):
    page = factories.article(newsroom.politics, marker="first")
    assert b"firstp0w1" in device_api.get(f"/articles/{page.pk}").content
    page.body = factories.body("fixed")
    page.save_revision().publish()
    raw = device_api.get(f"/articles/{page.pk}").content
    assert b"fixedp0w1" in raw and b"firstp0w1" not in raw


def test_an_unpublished_story_is_gone_at_once(device_api, newsroom):
    page = factories.article(newsroom.politics)
    assert device_api.get(f"/articles/{page.pk}").status_code == 200
    page.unpublish()
    assert device_api.get(f"/articles/{page.pk}").status_code == 404


def test_a_story_behind_a_view_restriction_is_not_found(device_api, newsroom):
    from wagtail.models import PageViewRestriction

    page = factories.article(newsroom.politics)
    assert device_api.get(f"/articles/{page.pk}").status_code == 200
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    assert device_api.get(f"/articles/{page.pk}").status_code == 404
