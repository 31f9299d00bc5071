"""Signing in from an app with an emailed one-time code."""

import re

from masthead.accounts.models import AppToken
from masthead.accounts.tests.conftest import code_in
from masthead.api.tests.conftest import error_of


def ask_for_code(api, email, mailoutbox) -> str:
    response = api.post("/auth/code", {"email": email})
    assert response.status_code == 202 and response.json() == {"sent": True}
    return code_in(mailoutbox[-1])


def test_it_signs_in_with_the_emailed_code(api, reader, mailoutbox):
    code = ask_for_code(api, reader.email, mailoutbox)
    assert mailoutbox[-1].to == [reader.email]
    assert "app" in mailoutbox[-1].body
    response = api.post("/auth/token", {"email": reader.email, "code": code, "device_name": "Kenji's iPad"})
    assert response.status_code == 201, response.content
    assert AppToken.objects.get().reader == reader


def test_a_code_works_only_once(api, reader, mailoutbox):
    code = ask_for_code(api, reader.email, mailoutbox)
    assert api.post("/auth/token", {"email": reader.email, "code": code, "device_name": "A"}).status_code == 201
    again = api.post("/auth/token", {"email": reader.email, "code": code, "device_name": "B"})
    assert again.status_code == 401
    assert error_of(again)["code"] == "invalid_credentials"


def test_a_wrong_code_fails_and_three_wrong_codes_burn_the_right_one(api, reader, mailoutbox):
    code = ask_for_code(api, reader.email, mailoutbox)
    for _ in range(3):
        assert api.post("/auth/token", {"email": reader.email, "code": "WRONG1", "device_name": "A"}).status_code == 401
    assert api.post("/auth/token", {"email": reader.email, "code": code, "device_name": "A"}).status_code == 401


def test_a_code_for_one_reader_does_not_sign_in_another(api, reader, editor, mailoutbox):
    code = ask_for_code(api, reader.email, mailoutbox)
    assert api.post("/auth/token", {"email": editor.email, "code": code, "device_name": "A"}).status_code == 401


def test_it_does_not_reveal_whether_an_address_has_an_account(api, reader, mailoutbox):
    known = api.post("/auth/code", {"email": reader.email})
    unknown = api.post("/auth/code", {"email": "nobody@example.com"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (202, b'{"sent": true}')
    # One email either way, as the website's log-in by code sends: the unknown address learns it has no account.
    assert [message.to for message in mailoutbox] == [[reader.email], ["nobody@example.com"]]
    assert "sign up" in mailoutbox[1].body
    assert not re.search(r"^\s*[A-Z0-9]{4,}(?:-[A-Z0-9]+)*\s*$", mailoutbox[1].body, re.M)


def test_the_code_may_be_typed_without_its_dash_and_in_any_case(api, reader, mailoutbox):
    code = ask_for_code(api, reader.email, mailoutbox)
    assert "-" in code
    typed = " " + code.replace("-", "").lower() + " "
    assert api.post("/auth/token", {"email": reader.email, "code": typed, "device_name": "A"}).status_code == 201


def test_a_malformed_address_is_refused_before_any_email(api, db, mailoutbox):
    response = api.post("/auth/code", {"email": "not an address"})
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "email"
    assert mailoutbox == []


def test_asking_for_codes_is_rate_limited_per_address(api, reader, mailoutbox):
    statuses = [api.post("/auth/code", {"email": reader.email}).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    assert len(mailoutbox) == 3
