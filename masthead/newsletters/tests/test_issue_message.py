"""Each message of an issue, as the SMTP server receives it: both parts, a Message-ID, and the reader's own
one-click unsubscribe link in List-Unsubscribe."""

import pytest

from masthead.newsletters.models import Delivery, Signup
from masthead.newsletters.tests.conftest import body_html, body_text, confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


def test_it_sends_each_reader_a_complete_message_with_their_own_unsubscribe_link(smtp, newsroom, client):
    briefing = make_newsletter(name="The Briefing", from_name="Briefing Desk", from_email="briefing@example.com")
    zoe, ann = confirmed(briefing, "zoe@example.com"), confirmed(briefing, "ann@example.com")
    issue = make_issue(briefing, newsroom.articles[:2], subject="Monday's stories", intro="Good morning.")

    send_now(issue)

    assert sorted(smtp.recipients()) == ["ann@example.com", "zoe@example.com"]
    ids = set()
    for signup in (zoe, ann):
        message = smtp.to(signup.email)
        assert str(message["Subject"]) == "Monday's stories"
        assert str(message["From"]) == "Briefing Desk <briefing@example.com>"
        text, html = body_text(message), body_html(message)
        assert "Good morning." in text and "Good morning." in html
        for article in newsroom.articles[:2]:
            assert article.title in text and article.title in html
            assert f"http://127.0.0.1:8000{article.url}" in text
        message_id = str(message["Message-ID"])
        assert message_id.startswith("<") and message_id.endswith(">") and "@" in message_id
        ids.add(message_id)
        assert Delivery.objects.get(email=signup.email).message_id == message_id

        unsubscribe = str(message["List-Unsubscribe"])
        assert unsubscribe.startswith("<http://127.0.0.1:8000/newsletters/unsubscribe/") and unsubscribe.endswith(">")
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        url = unsubscribe[1:-1]
        assert url in text and url in html
        # The link is this reader's: the one-click POST unsubscribes them, and only them.
        path = url.removeprefix("http://127.0.0.1:8000")
        client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        signup.refresh_from_db()
        assert signup.status == Signup.Status.UNSUBSCRIBED
    assert len(ids) == 2
