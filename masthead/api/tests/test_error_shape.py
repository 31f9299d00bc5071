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


@pytest.mark.parametrize(("method", "path"), [("post", "/sections"), ("put", "/me"), ("get", "/auth/token")])
def test_a_method_a_path_does_not_take_is_405_in_the_shape(reader_api, method, path):
    response = getattr(reader_api.client, method)(f"/api/v1{path}")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response["Allow"]


def test_a_body_over_the_upload_limit_is_400_in_the_shape(api, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = api.post("/auth/token", {"email": "a@example.com", "password": "x" * 2_000, "device_name": "Phone"})
    assert response.status_code == 400
    assert error_of(response) == {"code": "bad_request", "message": "The request body is too large.", "fields": []}


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/auth/code", {"email": "a\x00@example.com"}),
        ("post", "/auth/token", {"email": "a\x00@example.com", "password": "x", "device_name": "Phone"}),
        ("post", "/auth/token", {"email": "a@example.com", "code": "ABCD-EFGH", "device_name": "Phone\x00"}),
        ("get", "/articles", {"topic": "bud\x00get"}),
        ("get", "/search", {"q": "harbour\x00"}),
        ("put", "/newsletters", {"subscribed": ["brief\x00ing"]}),
    ],
)
def test_a_nul_character_in_any_input_is_422_not_a_database_error(reader_api, method, path, data):
    # PostgreSQL refuses NUL in any string it is given: it must be stopped at the door on every database.
    response = getattr(reader_api, method)(path, data)
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_failed"
