"""Newsletter preferences through the API: the account page's rules, only ever for the token holder."""

import pytest
from django.test import Client

from masthead.api.tests.conftest import app_for, error_of
from masthead.newsletters.models import Audience, Signup
from masthead.newsletters.tests.conftest import make_newsletter


@pytest.fixture
def lists(db):
    return {
        "briefing": make_newsletter(slug="briefing", position=1),
        "weekend": make_newsletter(slug="weekend", position=2),
        "insider": make_newsletter(slug="insider", position=3, audience=Audience.SUBSCRIBERS),
    }


def slugs(response, key="subscribed") -> list[str]:
    return [item["slug"] for item in response.json()["items"] if item[key]]


def test_it_lists_every_newsletter_with_what_the_reader_receives_and_may(reader_api, lists):
    response = reader_api.get("/newsletters")
    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["items"]] == ["briefing", "weekend", "insider"]
    assert slugs(response) == []
    assert slugs(response, "available") == ["briefing", "weekend"]


def test_put_sets_exactly_the_listed_newsletters(reader_api, reader, lists):
    assert slugs(reader_api.put("/newsletters", {"subscribed": ["briefing", "weekend"]})) == ["briefing", "weekend"]
    after = reader_api.put("/newsletters", {"subscribed": ["weekend"]})
    assert after.status_code == 200 and slugs(after) == ["weekend"]
    assert slugs(reader_api.get("/newsletters")) == ["weekend"]


def test_a_subscribers_only_newsletter_is_refused_and_nothing_changes(reader_api, lists):
    response = reader_api.put("/newsletters", {"subscribed": ["briefing", "insider"]})
    assert response.status_code == 409
    assert error_of(response)["code"] == "newsletter_unavailable"
    assert slugs(reader_api.get("/newsletters")) == []


def test_an_unknown_newsletter_is_refused(reader_api, lists):
    assert reader_api.put("/newsletters", {"subscribed": ["sport"]}).status_code == 409


def test_a_reader_changes_only_their_own(reader_api, editor, lists):
    other = app_for(Client(), editor, name="Editor's phone")
    other.put("/newsletters", {"subscribed": ["briefing"]})
    reader_api.put("/newsletters", {"subscribed": []})
    assert slugs(other.get("/newsletters")) == ["briefing"]
    assert Signup.objects.filter(reader=editor, status=Signup.Status.CONFIRMED).count() == 1


def test_a_device_has_no_newsletters(device_api, lists):
    assert device_api.get("/newsletters").status_code == 403
    assert device_api.put("/newsletters", {"subscribed": []}).status_code == 403
