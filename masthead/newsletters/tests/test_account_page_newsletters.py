"""The account page lists the reader's newsletters as a form, saved through the same action as the API."""

import pytest

from masthead.newsletters.models import Signup
from masthead.newsletters.tests.conftest import confirmed, make_newsletter

pytestmark = pytest.mark.django_db


def test_it_shows_and_saves_the_readers_newsletters(reader_client, reader):
    briefing = make_newsletter(slug="briefing", name="Briefing")
    make_newsletter(slug="weekly", name="Weekly")
    make_newsletter(slug="insider", name="Insider", audience="subscribers")
    confirmed(briefing, reader.email, reader=reader)

    html = reader_client.get("/account/").content.decode()
    assert 'action="/newsletters/preferences/"' in html
    assert 'value="briefing" checked' in html and 'value="weekly">' in html
    assert 'value="insider" disabled' in html

    response = reader_client.post("/newsletters/preferences/", {"newsletter": ["weekly"]})
    assert response.status_code == 302 and response["Location"] == "/account/#newsletters"
    assert dict(Signup.objects.values_list("newsletter__slug", "status")) == {
        "briefing": "unsubscribed",
        "weekly": "confirmed",
    }


def test_it_changes_nothing_when_a_newsletter_is_not_available(reader_client, reader):
    make_newsletter(slug="briefing")
    make_newsletter(slug="insider", audience="subscribers")
    response = reader_client.post("/newsletters/preferences/", {"newsletter": ["briefing", "insider"]}, follow=True)
    assert "insider" in response.content.decode()
    assert not Signup.objects.exists()


def test_it_needs_a_login(client):
    response = client.post("/newsletters/preferences/", {"newsletter": ["briefing"]})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
