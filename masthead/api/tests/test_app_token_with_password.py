"""Signing in from an app with email and password: an app token, named after the device, stored only hashed."""

import hashlib

from masthead.accounts.models import AppToken
from masthead.api.tests.conftest import ApiClient, error_of

PASSWORD = "correct-horse-battery"


def test_it_issues_a_named_token_that_works_and_is_stored_only_as_a_hash(api, client, reader):
    response = api.post("/auth/token", {"email": reader.email, "password": PASSWORD, "device_name": "Kenji's iPad"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("mha_") and body["token_type"] == "bearer" and body["name"] == "Kenji's iPad"
    assert "no-store" in response["Cache-Control"]
    row = AppToken.objects.get(pk=body["id"])
    assert row.reader == reader and row.name == "Kenji's iPad"
    assert row.digest == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in str(AppToken.objects.values_list().get(pk=row.pk))
    me = ApiClient(client, body["token"]).get("/me")
    assert me.status_code == 200 and me.json()["email"] == reader.email


def test_it_accepts_the_address_in_any_case(api, reader):
    response = api.post("/auth/token", {"email": "READER@Example.com", "password": PASSWORD, "device_name": "Phone"})
    assert response.status_code == 201


def test_it_refuses_a_wrong_password_with_the_error_shape(api, reader):
    response = api.post("/auth/token", {"email": reader.email, "password": "nope", "device_name": "Phone"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"
    assert not AppToken.objects.exists()


def test_it_refuses_an_unknown_address_the_same_way(api, db):
    response = api.post("/auth/token", {"email": "nobody@example.com", "password": PASSWORD, "device_name": "Phone"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"


def test_it_refuses_an_unverified_address_and_sends_the_confirmation_again(api, reader, mailoutbox):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=reader).update(verified=False)
    response = api.post("/auth/token", {"email": reader.email, "password": PASSWORD, "device_name": "Phone"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "email_unverified"
    assert not AppToken.objects.exists()
    assert [message.to for message in mailoutbox] == [[reader.email]]


def test_it_refuses_an_inactive_account(api, reader):
    reader.is_active = False
    reader.save()
    response = api.post("/auth/token", {"email": reader.email, "password": PASSWORD, "device_name": "Phone"})
    assert response.status_code == 401


def test_it_wants_a_password_or_a_code_but_not_both(api, reader):
    neither = api.post("/auth/token", {"email": reader.email, "device_name": "Phone"})
    both = api.post("/auth/token", {"email": reader.email, "password": PASSWORD, "code": "ABC", "device_name": "P"})
    assert neither.status_code == both.status_code == 422
    assert error_of(neither)["code"] == "validation_failed"
