"""Staff edit a newsletter in the admin; a changed digest schedule is worked out again from the new time."""

import datetime as dt

import pytest

from masthead.lib import clock
from masthead.newsletters.tests.conftest import make_newsletter

pytestmark = pytest.mark.django_db


def test_it_saves_a_newsletter_and_restarts_its_digest_schedule(client, editor, newsroom):
    client.force_login(editor)
    newsletter = make_newsletter(digest_enabled=True, digest_next_at=clock.now() + dt.timedelta(hours=3))
    data = {
        "name": "The Briefing",
        "slug": "briefing",
        "description": "Mornings.",
        "cadence": "Every morning",
        "audience": "everyone",
        "from_name": "",
        "from_email": "",
        "opt_in_by_default": "on",
        "active": "on",
        "position": "1",
        "digest_enabled": "on",
        "digest_time": "06:30",
        "digest_weekdays": "01234",
        "digest_sections": [newsroom.politics.pk],
        "digest_count": "4",
    }
    response = client.post(f"/admin/newsletters/lists/edit/{newsletter.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    newsletter.refresh_from_db()
    assert newsletter.digest_time == dt.time(6, 30) and newsletter.digest_weekdays == "01234"
    assert list(newsletter.digest_sections.all()) == [newsroom.politics]
    assert newsletter.digest_next_at is None


def test_it_refuses_days_that_are_not_weekdays(client, editor):
    client.force_login(editor)
    newsletter = make_newsletter()
    data = {"name": "B", "slug": "briefing", "audience": "everyone", "position": "0", "digest_time": "07:00"}
    response = client.post(f"/admin/newsletters/lists/edit/{newsletter.pk}/", {**data, "digest_weekdays": "7"})
    assert response.status_code == 200 and "Monday 0 to Sunday 6" in response.content.decode()


def test_it_suppresses_an_address_by_hand(client, editor):
    from masthead.newsletters.models import Suppression

    client.force_login(editor)
    response = client.post(
        "/admin/newsletters/suppressions/new/", {"email": " Gone@Example.com ", "reason": "manual", "detail": "asked"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == ("gone@example.com", "manual")


def test_it_refuses_an_address_already_suppressed_in_other_capitals(client, editor):
    from masthead.newsletters.models import Suppression

    client.force_login(editor)
    data = {"reason": "manual", "detail": ""}
    client.post("/admin/newsletters/suppressions/new/", {**data, "email": "gone@example.com"})
    response = client.post("/admin/newsletters/suppressions/new/", {**data, "email": "GONE@example.com"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert Suppression.objects.count() == 1
