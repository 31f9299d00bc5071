"""Messages written straight onto the SMTP session keep non-ASCII subjects, names and bodies intact."""

import pytest

from masthead.newsletters.models import Delivery
from masthead.newsletters.tests.conftest import body_html, body_text, confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


def test_it_keeps_utf8_text_intact(smtp, newsroom):
    briefing = make_newsletter(name="Café – 東京", from_name="Zoë at the Desk", from_email="desk@example.com")
    confirmed(briefing, "zoe@example.com")
    issue = make_issue(briefing, newsroom.articles[:1], subject="Grüße: 東京の朝", intro="Bonjour, café crème – 東京.")

    send_now(issue)

    message = smtp.to("zoe@example.com")
    assert str(message["Subject"]) == "Grüße: 東京の朝"
    assert str(message["From"]) == "Zoë at the Desk <desk@example.com>"
    assert "Café – 東京" in str(message["List-Id"])
    assert "Bonjour, café crème – 東京." in body_text(message) and "Bonjour, café crème – 東京." in body_html(message)
    assert message.get_content_type() == "multipart/alternative"


def test_it_records_a_refused_recipient_as_failed_and_goes_on(smtp, newsroom):
    briefing = make_newsletter()
    for address in ("a@example.com", "refused@example.com", "b@example.com"):
        confirmed(briefing, address)
    smtp.refuse.add("refused@example.com")

    send_now(make_issue(briefing, newsroom.articles[:1]))

    assert sorted(smtp.recipients()) == ["a@example.com", "b@example.com"]
    statuses = dict(Delivery.objects.values_list("email", "status"))
    assert statuses == {"a@example.com": "sent", "refused@example.com": "failed", "b@example.com": "sent"}
    assert "550" in Delivery.objects.get(email="refused@example.com").error
