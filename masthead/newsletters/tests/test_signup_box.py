"""The signup box on the front page and article pages, and each newsletter's own page."""

import pytest

from masthead.newsletters.models import Signup
from masthead.newsletters.tests.conftest import make_newsletter

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists():
    return (
        make_newsletter(slug="briefing", name="The Briefing", opt_in_by_default=True),
        make_newsletter(slug="insider", name="The Insider", audience="subscribers"),
    )


def test_it_offers_anonymous_readers_the_public_newsletters_by_email(client, newsroom, lists):
    for url in ("/", newsroom.articles[0].url):
        html = client.get(url).content.decode()
        assert 'action="/newsletters/signup/"' in html and 'type="email"' in html
        assert 'value="briefing" checked' in html
        assert "The Insider" not in html


def test_it_subscribes_a_signed_in_reader_in_one_click(reader_client, reader, newsroom, lists):
    html = reader_client.get(newsroom.articles[0].url).content.decode()
    assert 'action="/newsletters/subscribe/"' in html and 'type="email"' not in html
    response = reader_client.post(
        "/newsletters/subscribe/", {"newsletter": "briefing", "next": newsroom.articles[0].url}
    )
    assert response.status_code == 302 and response["Location"] == newsroom.articles[0].url
    signup = Signup.objects.get()
    assert (signup.email, signup.reader, signup.status) == (reader.email, reader, "confirmed")
    assert "The Briefing" not in reader_client.get(newsroom.articles[0].url).content.decode()  # already has it


def test_it_offers_subscribers_their_newsletters_too(client, subscriber, newsroom, lists):
    client.force_login(subscriber)
    html = client.get("/").content.decode()
    assert "The Insider" in html


def test_it_shows_each_newsletters_page(client, lists):
    html = client.get("/newsletters/briefing/").content.decode()
    assert "The Briefing" in html and 'name="newsletter" value="briefing"' in html
    assert client.get("/newsletters/").status_code == 200
    assert client.get("/newsletters/no-such/").status_code == 404
