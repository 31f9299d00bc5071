"""The reader cookie the middleware sets: signed, HttpOnly, SameSite=Lax, Secure on HTTPS, about 13 months."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from masthead.metering.identity import COOKIE, MAX_AGE, SALT, ReaderMiddleware


def serve(*, secure=False, mint=True, already=None):
    def view(request):
        if mint:
            request.reader.anonymous()
        response = HttpResponse("ok")
        if already:
            response.set_cookie(COOKIE, already)
        return response

    request = RequestFactory().get("/", secure=secure)
    return request, ReaderMiddleware(view)(request)


@pytest.mark.parametrize("secure", [False, True])
def test_it_sets_a_signed_http_only_lax_cookie_for_a_minted_reader(secure):
    request, response = serve(secure=secure)
    morsel = response.cookies[COOKIE]

    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert bool(morsel["secure"]) is secure
    assert morsel["max-age"] == MAX_AGE
    assert morsel["expires"]
    request.COOKIES[COOKIE] = morsel.value
    assert request.get_signed_cookie(COOKIE, salt=SALT, max_age=MAX_AGE) == request.reader.cookie_id


def test_it_sets_nothing_when_no_reader_was_minted():
    _, response = serve(mint=False)

    assert COOKIE not in response.cookies


def test_it_leaves_a_reader_cookie_the_response_already_carries():
    _, response = serve(already="set-by-the-view")

    assert response.cookies[COOKIE].value == "set-by-the-view"


@pytest.mark.parametrize("secure", [False, True])
def test_its_set_cookie_line_is_the_one_django_writes(secure):
    request, response = serve(secure=secure)
    ours = response.cookies[COOKIE]

    theirs = HttpResponse()
    theirs.set_cookie(
        COOKIE, ours.value, expires=ours["expires"], max_age=MAX_AGE, httponly=True, samesite="Lax", secure=secure
    )
    assert ours.output(header="Set-Cookie:") == theirs.cookies[COOKIE].output(header="Set-Cookie:")
    assert ours.OutputString() == theirs.cookies[COOKIE].OutputString()


def test_a_copied_cookie_still_writes_the_same_line():
    import copy
    import pickle

    _, response = serve()
    morsel = response.cookies[COOKIE]

    assert copy.copy(morsel).OutputString() == morsel.OutputString()
    assert pickle.loads(pickle.dumps(response.cookies))[COOKIE].OutputString() == morsel.OutputString()  # noqa: S301
