"""The published schema and its interactive docs."""


def test_the_schema_documents_every_resource_with_bearer_auth(api, db):
    schema = api.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/auth/token",
        "/api/v1/auth/code",
        "/api/v1/devices",
        "/api/v1/sections",
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/search",
        "/api/v1/meter",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/newsletters",
    } <= set(schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert {scheme["scheme"] for scheme in schemes.values()} == {"bearer"}
    detail = schema["paths"]["/api/v1/articles/{article_id}"]["get"]["responses"]
    assert {"200", "401", "404", "422", "429"} <= set(detail)


def test_the_docs_page_is_served(api, db):
    response = api.get("/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_an_unknown_api_path_is_404_in_the_error_shape(api, db):
    response = api.get("/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
