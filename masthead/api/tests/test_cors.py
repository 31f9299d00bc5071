"""CORS: off by default; configured origins (and only they) may call /api/ from a browser."""

import pytest

ORIGIN = "https://app.example.com"


def test_no_cross_origin_access_by_default(api, db):
    response = api.get("/sections", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response
    preflight = api.client.options(
        "/api/v1/sections", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert "Access-Control-Allow-Origin" not in preflight


@pytest.fixture
def configured(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]


def test_a_configured_origin_may_call_the_api(api, db, configured):
    response = api.get("/sections", headers={"Origin": ORIGIN})
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response
    preflight = api.client.options(
        "/api/v1/me",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]


def test_other_origins_and_the_website_stay_closed(api, client, newsroom, configured):
    assert "Access-Control-Allow-Origin" not in api.get("/sections", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": ORIGIN})
