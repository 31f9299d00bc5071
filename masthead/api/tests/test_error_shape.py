"""Every error has one shape: {"error": {"code", "message", "fields"}}, with the right status."""

import pytest

from masthead.api.tests.conftest import error_of


def test_bad_input_is_422_with_the_fields_named(api, db):
    response = api.get("/articles", {"limit": "many", "section": "x" * 300})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert {(f["location"], f["field"]) for f in error["fields"]} == {("query", "limit"), ("query", "section")}
    assert all(f["message"] for f in error["fields"])


def test_a_bad_body_names_the_body_fields(api, db):
    response = api.post("/auth/token", {"email": "a@example.com", "password": "x"})
    error = error_of(response)
    assert response.status_code == 422
    assert [(f["location"], f["field"]) for f in error["fields"]] == [("body", "device_name")]


def test_a_body_that_is_not_json_is_refused_in_the_shape(api, db):
    response = api.client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_no_token_is_401_with_a_bearer_challenge(api, db):
    response = api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_device_where_an_account_is_needed_is_403(device_api):
    response = device_api.get("/me")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("path", ["/articles/999999", "/articles/99999999999999999999999", "/tokens/424242"])
def test_missing_things_are_404(reader_api, path):
    response = reader_api.get(path) if path.startswith("/articles") else reader_api.delete(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_section_is_404(api, newsroom):
    response = api.get("/articles", {"section": "sport"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unpublished_story_is_404(device_api, newsroom):
    from masthead.content.tests import factories

    draft = factories.article(newsroom.politics, live=False)
    assert device_api.get(f"/articles/{draft.pk}").status_code == 404


def test_an_unexpected_failure_is_500_in_the_shape(device_api, newsroom, monkeypatch):
    from masthead.paywall import gate

    def broken(request, article):
        raise RuntimeError("the store is down")

    monkeypatch.setattr(gate, "article_decision", broken)
    response = device_api.get(f"/articles/{newsroom.by_access('metered').pk}")
    assert response.status_code == 500
    assert error_of(response) == {"code": "server_error", "message": "Something went wrong on our side.", "fields": []}
