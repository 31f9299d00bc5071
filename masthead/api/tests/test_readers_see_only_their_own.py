"""Reader A's app token can never read or change reader B's data."""

import pytest

from masthead.accounts.models import AppToken
from masthead.api.tests.conftest import app_for, error_of


@pytest.fixture
def other_api(editor):
    from django.test import Client

    return app_for(Client(), editor, name="Editor's phone")


def test_me_is_always_the_token_holder(reader_api, other_api, reader, editor):
    assert reader_api.get("/me").json()["email"] == reader.email
    assert other_api.get("/me").json()["email"] == editor.email


def test_the_token_list_holds_only_the_holders_tokens(reader_api, other_api):
    names = [item["name"] for item in reader_api.get("/tokens").json()["items"]]
    assert names == ["Test phone"]


def test_another_readers_token_cannot_be_revoked_and_is_not_revealed(reader_api, other_api):
    response = reader_api.delete(f"/tokens/{other_api.app_token.pk}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert AppToken.objects.get(pk=other_api.app_token.pk).revoked_at is None
    assert other_api.get("/me").status_code == 200


def test_another_readers_token_cannot_be_revoked_on_the_account_page(client, reader, other_api):
    client.force_login(reader)
    assert client.post(f"/account/apps/{other_api.app_token.pk}/revoke/").status_code == 404
    assert other_api.get("/me").status_code == 200


def test_a_session_cookie_is_never_taken_for_a_token(client, reader, api):
    client.force_login(reader)  # the same Django client as ``api``: it carries the reader's session cookie
    assert api.get("/me").status_code == 401
    assert api.get("/tokens").status_code == 401


def test_a_device_token_is_not_an_account(device_api):
    for response in (device_api.get("/me"), device_api.get("/tokens"), device_api.delete("/auth/token")):
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
