"""Search: the website's search, returning headlines and deks, never body text."""

import json
import re

from masthead.content.tests.test_search import run_background_jobs

BODY_TEXT = re.compile(rb"(?:metered|free|subs|older)p\d+w\d+")


def test_it_finds_stories_and_shows_only_the_dek(api, newsroom):
    run_background_jobs()
    response = api.get("/search", {"q": "meteredp2w5"})  # a word deep in the metered story's locked part
    body = response.json()
    assert response.status_code == 200
    assert [item["id"] for item in body["items"]] == [newsroom.by_access("metered").pk]
    assert body["total"] == 1
    assert body["items"][0]["dek"] == newsroom.by_access("metered").dek
    assert not BODY_TEXT.search(json.dumps(body["items"]).encode())


def test_it_pages_results(api, newsroom):
    run_background_jobs()
    first = api.get("/search", {"q": "story", "limit": 2}).json()
    second = api.get("/search", {"q": "story", "limit": 2, "page": 2}).json()
    assert first["total"] == second["total"] == 4
    assert len(first["items"]) == len(second["items"]) == 2
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})


def test_syntax_in_the_query_is_just_text(api, newsroom):
    run_background_jobs()
    assert api.get("/search", {"q": '"unbalanced AND ( OR'}).status_code == 200
