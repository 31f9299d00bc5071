"""RFC 8058: a POST of ``List-Unsubscribe=One-Click`` unsubscribes with no login and no CSRF token; a GET
only asks."""

import pytest
from django.test import Client

from masthead.newsletters import tokens
from masthead.newsletters.models import Signup
from masthead.newsletters.tests.conftest import confirmed, make_newsletter

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"  # the whole body a mail program POSTs
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def signup():
    return confirmed(make_newsletter(name="The Briefing"), "zoe@example.com")


@pytest.fixture
def mail_client():
    """A mail program: no cookies, and CSRF checked as a browser's request would be."""
    return Client(enforce_csrf_checks=True)


def test_it_unsubscribes_on_the_one_click_post(mail_client, signup):
    url = f"/newsletters/unsubscribe/{tokens.unsubscribe_token(signup.pk)}/"
    response = mail_client.post(url, ONE_CLICK, content_type=FORM)
    assert response.status_code == 200
    signup.refresh_from_db()
    assert signup.status == Signup.Status.UNSUBSCRIBED and signup.unsubscribed_at is not None


def test_it_only_asks_on_a_get(mail_client, signup):
    url = f"/newsletters/unsubscribe/{tokens.unsubscribe_token(signup.pk)}/"
    response = mail_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The Briefing" in html and "zoe@example.com" in html and f'action="{url}"' in html
    assert Signup.objects.get().status == Signup.Status.CONFIRMED


def test_it_unsubscribes_from_the_confirm_pages_button(mail_client, signup):
    url = f"/newsletters/unsubscribe/{tokens.unsubscribe_token(signup.pk)}/"
    response = mail_client.post(url)
    assert response.status_code == 200 and b"unsubscribed" in response.content
    assert Signup.objects.get().status == Signup.Status.UNSUBSCRIBED


def test_it_refuses_an_altered_token(mail_client, signup):
    token = tokens.unsubscribe_token(signup.pk)
    other = f"{signup.pk + 1}:{token.split(':', 1)[1]}"
    response = mail_client.post(
        f"/newsletters/unsubscribe/{other}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert Signup.objects.get().status == Signup.Status.CONFIRMED


def test_it_unsubscribes_nobody_from_a_test_sends_link(mail_client, signup):
    response = mail_client.post(
        "/newsletters/unsubscribe/test/", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Signup.objects.get().status == Signup.Status.CONFIRMED
