"""An anonymous address is signed up only once its owner follows the link mailed to it, over real SMTP."""

import pytest

from masthead.newsletters.models import Signup
from masthead.newsletters.tests.conftest import body_text, confirmed, link, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


def test_it_confirms_by_the_mailed_link_and_sends_nothing_before(
    client, smtp, tasks_now, newsroom, django_capture_on_commit_callbacks
):
    briefing = make_newsletter(slug="briefing")
    confirmed(briefing, "someone.else@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/newsletters/signup/", {"email": "Zoe@Example.com", "newsletter": ["briefing"]})
    assert response.status_code == 302 and response["Location"] == "/newsletters/check-your-inbox/"
    assert Signup.objects.get(email="zoe@example.com").status == Signup.Status.PENDING

    # An issue sent now goes only to the confirmed address.
    send_now(make_issue(briefing, newsroom.articles[:1]))
    [confirmation] = [m for m in smtp.parsed() if "zoe@example.com" in str(m["To"])]
    assert "confirm" in str(confirmation["Subject"]).lower()
    assert [to for to in smtp.recipients() if to != "zoe@example.com"] == ["someone.else@example.com"]

    path = link(body_text(confirmation), "/newsletters/confirm/")
    page = client.get(path)  # what a link scanner does: it must not confirm
    assert page.status_code == 200 and b"Yes, send me the newsletter" in page.content
    assert Signup.objects.get(email="zoe@example.com").status == Signup.Status.PENDING

    done = client.post(path)
    assert done.status_code == 200 and b"Briefing" in done.content
    assert Signup.objects.get(email="zoe@example.com").status == Signup.Status.CONFIRMED

    smtp.messages.clear()
    send_now(make_issue(briefing, newsroom.articles[:1], subject="Next"))
    assert sorted(smtp.recipients()) == ["someone.else@example.com", "zoe@example.com"]
