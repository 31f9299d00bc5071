"""Confirmation links expire, and an altered link confirms nothing."""

import datetime as dt

import pytest
import time_machine

from masthead.lib import clock
from masthead.newsletters import actions, tokens
from masthead.newsletters.models import Signup
from masthead.newsletters.tests.conftest import make_newsletter

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending():
    [signup] = actions.signup_request(email="zoe@example.com", newsletters=[make_newsletter()], source="box")
    return signup


def test_it_refuses_an_expired_link(client, pending, settings):
    token = tokens.confirm_token([pending.pk])
    later = clock.now() + dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        assert client.get(f"/newsletters/confirm/{token}/").status_code == 400
        response = client.post(f"/newsletters/confirm/{token}/")
    assert response.status_code == 400 and b"expired" in response.content
    assert Signup.objects.get().status == Signup.Status.PENDING


def test_it_accepts_a_link_just_before_it_expires(client, pending, settings):
    token = tokens.confirm_token([pending.pk])
    later = clock.now() + dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS, minutes=-1)
    with time_machine.travel(later, tick=False):
        assert client.post(f"/newsletters/confirm/{token}/").status_code == 200
    assert Signup.objects.get().status == Signup.Status.CONFIRMED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: tokens.unsubscribe_token(1),  # another kind of token
        lambda t: "nonsense",
    ],
)
def test_it_refuses_an_altered_link(client, pending, tamper):
    token = tamper(tokens.confirm_token([pending.pk]))
    response = client.post(f"/newsletters/confirm/{token}/")
    assert response.status_code == 400 and b"does not work" in response.content
    assert Signup.objects.get().status == Signup.Status.PENDING
