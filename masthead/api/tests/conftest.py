"""Fixtures for the API tests: tokens for the personas, and a client that speaks JSON with a bearer token."""

from __future__ import annotations

import json

import pytest

from masthead.accounts import tokens


class ApiClient:
    """Django's test client, sending JSON and an optional bearer token to /api/v1/."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        found = dict(headers or {})
        if self.token:
            found.setdefault("Authorization", f"Bearer {self.token}")
        return found

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(self, path: str, data: dict | None = None, headers: dict | None = None):
        return self.client.post(
            f"/api/v1{path}", json.dumps(data or {}), content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers))

    def put(self, path: str, data: dict | None = None, headers: dict | None = None):
        return self.client.put(
            f"/api/v1{path}", json.dumps(data or {}), content_type="application/json", headers=self._headers(headers)
        )


@pytest.fixture
def api(client):
    """An app with no token."""
    return ApiClient(client)


@pytest.fixture
def device_api(db, client):
    """An anonymous app install, registered: ``device_api.device`` is its Device."""
    device, secret = tokens.device_create()
    found = ApiClient(client, secret)
    found.device = device
    return found


def app_for(client, reader, name: str = "Test phone") -> ApiClient:
    token, secret = tokens.app_token_create(reader=reader, name=name)
    found = ApiClient(client, secret)
    found.app_token = token
    return found


@pytest.fixture
def reader_api(reader):
    """The registered reader's app, signed in (its own Django client, so it shares no cookies)."""
    from django.test import Client

    return app_for(Client(), reader)


def error_of(response) -> dict:
    """The error object of an API error response, after checking it has the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


# The paywall's fixtures: a story whose every paragraph is identifiable, a dozen others, subscriptions,
# and DNS as a test writes it (so a claimed crawler is checked without the network).
from masthead.paywall.tests.conftest import _fake_dns, other_stories, story, subscribe  # noqa: E402, F401


def read_all_through_api(app, pages) -> None:
    for page in pages:
        response = app.get(f"/articles/{page.pk}")
        assert response.status_code == 200, response.content


def assert_no_locked_text(raw: bytes, locked_story) -> None:
    """No locked paragraph's words anywhere in the response bytes."""
    leaked = [word for word in locked_story.locked_words() if word.encode() in raw]
    assert leaked == [], f"locked text leaked: {leaked[:5]}"
