"""The signed reader cookie: checked once per process, and never trusted beyond what Django would accept.

A verified cookie value is remembered (``identity.cookies``), so these tests
check that the memo keeps every rule of Django's ``get_signed_cookie``: expiry
after ``MAX_AGE``, forgeries refused, a changed ``SECRET_KEY`` honoured, and
that what this module mints is exactly what Django's own signing produces.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.http import HttpRequest, HttpResponse
from django.test import override_settings

from masthead.metering import identity
from masthead.metering.identity import COOKIE, MAX_AGE, SALT, RequestReader

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh_memo():
    identity.cookies.forget()
    yield
    identity.cookies.forget()


def django_signed(value: str) -> str:
    response = HttpResponse()
    response.set_signed_cookie(COOKIE, value, salt=SALT)
    return response.cookies[COOKIE].value


def reader_for(cookie: str | None) -> RequestReader:
    request = HttpRequest()
    if cookie is not None:
        request.COOKIES[COOKIE] = cookie
    return RequestReader(request)


def test_it_accepts_a_cookie_django_signed_and_remembers_it():
    value = str(uuid.uuid4())
    signed = django_signed(value)

    assert reader_for(signed).cookie_id == value
    assert signed in identity.cookies._verified
    assert reader_for(signed).cookie_id == value  # from the memo


@pytest.mark.parametrize(
    "tamper",
    [
        lambda signed, other: signed[:-1] + ("A" if signed[-1] != "A" else "B"),  # the signature
        lambda signed, other: other + signed[len(other) :],  # another id under this signature
        lambda signed, other: signed.rsplit(":", 1)[0],  # no signature at all
        lambda signed, other: other,  # a bare id
    ],
)
def test_it_refuses_a_forged_cookie_even_once_the_genuine_one_is_remembered(tamper):
    value, other = str(uuid.uuid4()), str(uuid.uuid4())
    signed = django_signed(value)
    assert reader_for(signed).cookie_id == value

    forged = tamper(signed, other)

    assert reader_for(forged).cookie_id is None
    assert forged not in identity.cookies._verified


def test_it_refuses_a_remembered_cookie_once_it_is_older_than_max_age():
    value = str(uuid.uuid4())
    with time_machine.travel(T0, tick=False):
        signed = django_signed(value)
        assert reader_for(signed).cookie_id == value
    with time_machine.travel(T0 + dt.timedelta(seconds=MAX_AGE), tick=False):
        assert reader_for(signed).cookie_id == value  # exactly MAX_AGE old: still good, as for Django
    with time_machine.travel(T0 + dt.timedelta(seconds=MAX_AGE + 1), tick=False):
        request = HttpRequest()
        request.COOKIES[COOKIE] = signed
        assert request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=MAX_AGE) is None
        assert signed in identity.cookies._verified
        assert reader_for(signed).cookie_id is None  # the memo refuses it too


def test_it_refuses_an_expired_cookie_it_has_never_seen():
    value = str(uuid.uuid4())
    with time_machine.travel(T0, tick=False):
        signed = django_signed(value)
    with time_machine.travel(T0 + dt.timedelta(seconds=MAX_AGE + 60), tick=False):
        assert reader_for(signed).cookie_id is None


def test_it_refuses_a_signed_value_that_is_not_a_reader_id():
    assert reader_for(django_signed("not-a-uuid")).cookie_id is None


def test_it_forgets_what_it_verified_when_the_secret_key_changes():
    value = str(uuid.uuid4())
    signed = django_signed(value)
    assert reader_for(signed).cookie_id == value

    with override_settings(SECRET_KEY="another secret key, long enough to be taken seriously"):
        assert reader_for(signed).cookie_id is None
        resigned = django_signed(value)
        assert reader_for(resigned).cookie_id == value


def test_it_accepts_a_cookie_signed_under_a_fallback_key():
    value = str(uuid.uuid4())
    signed = django_signed(value)
    with override_settings(
        SECRET_KEY="the new secret key, long enough to be taken seriously",
        SECRET_KEY_FALLBACKS=[__import__("django.conf").conf.settings.SECRET_KEY],
    ):
        assert reader_for(signed).cookie_id == value


def test_it_mints_exactly_what_django_signs():
    with time_machine.travel(T0, tick=False):
        value, signed = identity.cookies.mint()

        assert signed == django_signed(value)
        request = HttpRequest()
        request.COOKIES[COOKIE] = signed
        assert request.get_signed_cookie(COOKIE, salt=SALT, max_age=MAX_AGE) == value
        assert reader_for(signed).cookie_id == value


def test_it_keeps_the_memo_bounded_and_drops_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(identity.cookies._verified, "size", 3)
    cookies = [django_signed(str(uuid.uuid4())) for _ in range(4)]
    for cookie in cookies[:3]:
        reader_for(cookie).cookie_id  # noqa: B018
    reader_for(cookies[0]).cookie_id  # noqa: B018 - now the most recently used

    reader_for(cookies[3]).cookie_id  # noqa: B018

    assert list(identity.cookies._verified) == [cookies[2], cookies[0], cookies[3]]


def test_new_reader_ids_are_unique_time_ordered_uuids_in_their_usual_spelling():
    with time_machine.travel(T0, tick=False):
        early = [identity.new_reader_id() for _ in range(2_000)]
    with time_machine.travel(T0 + dt.timedelta(milliseconds=5), tick=False):
        later = identity.new_reader_id()

    assert len(set(early)) == len(early)
    assert all(value < later for value in early)  # minted later, sorts later
    for value in early[:200]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert int.from_bytes(parsed.bytes[:6], "big") == int(T0.timestamp() * 1000)


def test_a_first_read_is_signed_with_the_id_and_read_back():
    with time_machine.travel(T0, tick=False):
        reader_id = identity.new_reader_id()
        signed = identity.cookies.sign(reader_id, ("m202503", 42))
        identity.cookies.forget()  # read back through the HMAC, not the memo

        reader = reader_for(signed)

        assert reader.cookie_id == reader_id
        assert reader.first_read == identity.FirstRead("m202503", 42, int(T0.timestamp()))
        assert reader_for(django_signed(f"{reader_id}.m202503.42")).first_read.article_id == 42


@pytest.mark.parametrize("claim", ["m202503.", "m202503.x42", ".42", "m202503.1234567890123"])
def test_a_malformed_first_read_is_ignored_and_the_id_kept(claim):
    reader_id = identity.new_reader_id()

    reader = reader_for(django_signed(f"{reader_id}.{claim}"))

    assert reader.cookie_id == reader_id
    assert reader.first_read is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5F0C2A4E-9B1D-4C3E-8F7A-0123456789AB", "5f0c2a4e-9b1d-4c3e-8f7a-0123456789ab"),  # upper case
        ("5f0c2a4e9b1d4c3e8f7a0123456789ab", "5f0c2a4e-9b1d-4c3e-8f7a-0123456789ab"),  # no hyphens
        ("not-a-uuid", None),
        ("5f0c2a4e-9b1d-4c3e-8f7a-0123456789a", None),  # a digit short
    ],
)
def test_a_signed_id_in_another_spelling_reads_as_the_usual_one_and_anything_else_as_none(value, expected):
    assert reader_for(django_signed(value)).cookie_id == expected


def test_a_new_readers_cookie_is_remembered_only_once_it_comes_back():
    def view(request):
        request.reader.anonymous()  # mints
        return HttpResponse()

    request = HttpRequest()
    response = identity.ReaderMiddleware(view)(request)
    signed = response.cookies[COOKIE].value

    assert signed not in identity.cookies._verified  # most new readers never return
    assert reader_for(signed).cookie_id == request.reader.cookie_id  # one who does is checked by the HMAC
    assert signed in identity.cookies._verified  # and remembered from then on


def test_a_cookie_set_again_for_a_returning_reader_is_remembered():
    value = str(uuid.uuid4())

    def view(request):
        request.reader.first_read_recorded()  # the bare id is set again
        return HttpResponse()

    request = HttpRequest()
    request.COOKIES[COOKIE] = django_signed(value)
    response = identity.ReaderMiddleware(view)(request)

    assert response.cookies[COOKIE].value in identity.cookies._verified
