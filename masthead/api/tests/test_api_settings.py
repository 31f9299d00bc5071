"""The API's settings: bad values stop start-up with a message naming the variable."""

import pytest

from tests.test_settings import PRODUCTION, start


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("API_CORS_ORIGINS", "app.example.com"),
        ("API_CORS_ORIGINS", "https://app.example.com/path"),
        ("API_RATE_LIMIT", "lots"),
        ("API_RATE_LIMIT", "0/m"),
        ("API_AUTH_RATE_LIMIT", "10/week"),
    ],
)
def test_it_refuses_a_bad_value(name, value):
    result = start({**PRODUCTION, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_it_starts_with_good_values():
    result = start(
        {**PRODUCTION, "API_CORS_ORIGINS": "https://app.example.com,http://localhost:3000", "API_RATE_LIMIT": "50/s"}
    )
    assert result.returncode == 0, result.stderr
