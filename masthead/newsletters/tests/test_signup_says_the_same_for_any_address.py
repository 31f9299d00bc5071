"""The signup answer never tells a stranger whether an address is already subscribed."""

import pytest

from masthead.newsletters.models import Signup
from masthead.newsletters.tests.conftest import confirmed, make_newsletter

pytestmark = pytest.mark.django_db


def test_it_answers_alike_for_new_and_subscribed_addresses(client, tasks_now, django_capture_on_commit_callbacks):
    from django.core import mail

    briefing = make_newsletter(slug="briefing")
    confirmed(briefing, "known@example.com")
    answers = []
    for address in ("known@example.com", "new@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/newsletters/signup/", {"email": address, "newsletter": "briefing"}, follow=True)
        answers.append((response.status_code, response.redirect_chain, response.content))
    assert answers[0] == answers[1]
    assert Signup.objects.get(email="known@example.com").status == Signup.Status.CONFIRMED  # not reset to pending
    assert sorted(m.to[0] for m in mail.outbox) == ["known@example.com", "new@example.com"]


def test_it_ignores_subscribers_only_newsletters_for_anonymous_addresses(client, tasks_now):
    make_newsletter(slug="insider", audience="subscribers")
    response = client.post("/newsletters/signup/", {"email": "a@example.com", "newsletter": "insider"})
    assert response.status_code == 302
    assert not Signup.objects.exists()


def test_it_limits_signups_from_one_client(client, tasks_now):
    make_newsletter(slug="briefing")
    codes = [
        client.post("/newsletters/signup/", {"email": f"r{n}@example.com", "newsletter": "briefing"}).status_code
        for n in range(12)
    ]
    assert codes[:10] == [302] * 10 and codes[10:] == [429, 429]
