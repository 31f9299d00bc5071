"""No locked paragraph leaves the server through the API: not to a metered-out device, not to a forged token."""

import pytest
from django.test import Client

from masthead.accounts import tokens
from masthead.api.tests.conftest import ApiClient, assert_no_locked_text, read_all_through_api
from masthead.content.models import Access
from masthead.content.tests import factories


@pytest.fixture
def spent(device_api, other_stories):
    """An anonymous app install that has read its five free articles."""
    read_all_through_api(device_api, other_stories[:5])
    return device_api


def test_a_metered_out_device_gets_the_lead_in_and_no_locked_block(spent, story):
    response = spent.get(f"/articles/{story.page.pk}")
    assert response.status_code == 200
    assert_no_locked_text(response.content, story)
    assert all(word.encode() in response.content for word in story.lead_in_words())
    body = response.json()
    assert body["access"]["allowed"] is False
    assert len(body["body"]) == story.page.lead_in_blocks()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_lead_in_ends_where_the_web_page_cuts_it(spent, story, visitor, other_stories):
    from masthead.paywall.tests.conftest import read_all

    read_all(visitor, other_stories[:5])
    html = visitor.get(story.url).content
    raw = spent.get(f"/articles/{story.page.pk}").content
    paragraphs = [f"lockedp{n}w0 ".encode() for n in range(6)]
    assert [word in raw for word in paragraphs] == [word in html for word in paragraphs] == [True, True] + [False] * 4


@pytest.mark.parametrize(
    "secret",
    [
        "mha_" + "A" * 43,
        "mhd_" + "A" * 43,
        "not-a-token",
        "mha_",
    ],
)
def test_a_forged_token_gets_401_and_no_text(db, story, secret):
    response = ApiClient(Client(), secret).get(f"/articles/{story.page.pk}")
    assert response.status_code == 401
    assert_no_locked_text(response.content, story)
    assert b"lockedp0" not in response.content


def test_a_device_token_offered_as_an_app_token_is_refused(device_api, story):
    forged = ApiClient(Client(), "mha_" + device_api.token.removeprefix("mhd_"))
    assert forged.get(f"/articles/{story.page.pk}").status_code == 401


def test_no_token_at_all_reads_nothing(api, story):
    response = api.get(f"/articles/{story.page.pk}")
    assert response.status_code == 401
    assert_no_locked_text(response.content, story)


def test_a_revoked_device_reads_nothing(device_api, story):
    tokens.device_revoke(device=device_api.device)
    response = device_api.get(f"/articles/{story.page.pk}")
    assert response.status_code == 401
    assert_no_locked_text(response.content, story)


def test_a_subscribers_only_story_shows_a_device_only_its_lead_in(device_api, newsroom):
    page = factories.article(newsroom.economy, access=Access.SUBSCRIBERS, marker="locked")
    response = device_api.get(f"/articles/{page.pk}")
    assert response.json()["access"]["reason"] == "subscribers_only"
    assert b"lockedp3w" not in response.content and b"lockedp5w" not in response.content


def test_a_claimed_crawler_through_the_api_gets_the_lead_in(spent, story):
    from masthead.paywall.tests.conftest import GOOGLEBOT_UA

    response = spent.get(f"/articles/{story.page.pk}", headers={"User-Agent": GOOGLEBOT_UA})
    assert_no_locked_text(response.content, story)


def test_a_subscriber_reads_the_whole_story(reader, reader_api, story, subscribe, other_stories):
    read_all_through_api(reader_api, other_stories[:10])
    subscribe(reader)
    body = reader_api.get(f"/articles/{story.page.pk}").json()
    assert body["access"]["reason"] == "subscriber"
    assert all(word in str(body["body"]) for word in story.locked_words())
