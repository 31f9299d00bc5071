"""Staff can answer "why did this reader see the wall?"."""

import pytest

from masthead.metering.models import DecisionEvent


@pytest.fixture
def walled(client, reader, newsroom):
    from masthead.content.tests import factories

    stories = [factories.article(newsroom.politics, title=f"Wall story {n}") for n in range(11)]
    client.force_login(reader)
    for story in stories:
        client.get(story.url)
    client.logout()
    return stories


def test_it_shows_an_accounts_decisions_with_reasons(client, editor, reader, walled):
    client.force_login(editor)
    html = client.get("/admin/meter/readers/", {"q": reader.email}).content.decode()
    assert f"a:{reader.pk}" in html
    assert html.count("within_meter") == 10
    assert "meter_exhausted" in html
    assert "Wall story 10" in html
    assert "10 of 10 metered articles counted" in html


def test_it_finds_an_anonymous_reader_by_id(client, editor, visitor, newsroom):
    story = newsroom.by_access("metered")
    visitor.get(story.url)
    key = DecisionEvent.objects.get().reader_key
    client.force_login(editor)
    for query in (key, key.removeprefix("c:")):
        html = client.get("/admin/meter/readers/", {"q": query}).content.decode()
        assert "within_meter" in html and story.title in html


def test_it_says_so_when_nobody_matches(client, editor):
    client.force_login(editor)
    html = client.get("/admin/meter/readers/", {"q": "nobody@example.com"}).content.decode()
    assert "No reader matches" in html
    assert client.get("/admin/meter/readers/", {"q": "x:garbage"}).status_code == 200


def test_reporters_and_readers_cannot_look_readers_up(client, reporter, reader):
    client.force_login(reporter)
    assert client.get("/admin/meter/readers/", {"q": reader.email}).status_code in (302, 403)
