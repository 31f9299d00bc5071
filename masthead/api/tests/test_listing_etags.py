"""Listings carry an ETag; If-None-Match answers 304 until something shown changes."""

from masthead.content.tests import factories


def test_it_answers_304_for_the_same_listing(api, newsroom):
    first = api.get("/articles")
    assert first.status_code == 200 and first["ETag"].startswith('"')
    again = api.get("/articles", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_new_story_changes_the_etag(api, newsroom):
    first = api.get("/articles")
    factories.article(newsroom.politics, title="Fresh news")
    after = api.get("/articles", headers={"If-None-Match": first["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert after.json()["items"][0]["headline"] == "Fresh news"


def test_sections_have_etags_too(api, newsroom):
    first = api.get("/sections")
    assert [s["slug"] for s in first.json()["items"]] == ["politics", "economy"]
    assert api.get("/sections", headers={"If-None-Match": f'W/{first["ETag"]}, "other"'}).status_code == 304


def test_a_stale_etag_gets_the_whole_listing(api, newsroom):
    assert api.get("/articles", headers={"If-None-Match": '"stale"'}).status_code == 200
