"""Rate limits answer 429 in the error shape, with Retry-After."""

from masthead.api.tests.conftest import error_of


def test_it_limits_requests_per_device_with_retry_after(device_api, settings, newsroom):
    settings.API_RATE_LIMIT = "3/m"
    statuses = [device_api.get("/meter").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = device_api.get("/meter")
    assert error_of(response)["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_each_device_has_its_own_allowance(device_api, db, settings):
    from django.test import Client

    from masthead.api.tests.conftest import ApiClient

    settings.API_RATE_LIMIT = "2/m"
    for _ in range(2):
        device_api.get("/meter")
    assert device_api.get("/meter").status_code == 429
    other = ApiClient(Client(), device_api.client.post("/api/v1/devices").json()["token"])
    assert other.get("/meter").status_code == 200


def test_logging_in_is_limited_per_address(api, reader, settings):
    settings.API_AUTH_RATE_LIMIT = "2/m"
    attempts = [
        api.post("/auth/token", {"email": reader.email, "password": "wrong", "device_name": "P"}).status_code
        for _ in range(3)
    ]
    assert attempts == [401, 401, 429]
    assert api.post("/auth/code", {"email": reader.email}).status_code == 429
    assert api.post("/devices").status_code == 429
