"""An issue goes through whatever transport the site uses: here the demo mailbox, which keeps every message."""

import pytest

from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter, send_now
from masthead.ops.models import MailboxMessage

pytestmark = pytest.mark.django_db


def test_it_keeps_the_issue_in_the_mailbox(settings, newsroom):
    settings.MAILERS = {"default": {"BACKEND": "masthead.ops.mailbox.MailboxBackend"}}
    briefing = make_newsletter(name="The Briefing")
    confirmed(briefing, "zoe@example.com")

    send_now(make_issue(briefing, newsroom.articles[:1], subject="Monday's stories"))

    kept = MailboxMessage.objects.get()
    headers = dict(kept.headers)
    assert kept.to == "zoe@example.com" and kept.subject == "Monday's stories"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/newsletters/unsubscribe/")
    assert newsroom.articles[0].title in kept.text_body and newsroom.articles[0].title in kept.html_body
