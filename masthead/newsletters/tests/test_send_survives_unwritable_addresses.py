"""An address that cannot be written (a non-ASCII local part) fails on its own; the rest of its batch goes out,
and an internationalised domain is sent as IDNA."""

import pytest

from masthead.newsletters.models import Batch, Delivery, Issue
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


def test_it_fails_only_the_unwritable_address(smtp, newsroom):
    briefing = make_newsletter()
    for address in ("a@example.com", "zoë@example.com", "b@exämple.com", "c@example.com"):
        confirmed(briefing, address)

    send_now(make_issue(briefing, newsroom.articles[:1]))

    assert sorted(smtp.recipients()) == ["a@example.com", "b@xn--exmple-cua.com", "c@example.com"]
    statuses = dict(Delivery.objects.values_list("email", "status"))
    assert statuses == {
        "a@example.com": "sent",
        "zoë@example.com": "failed",
        "b@exämple.com": "sent",
        "c@example.com": "sent",
    }
    assert "ValueError" in Delivery.objects.get(email="zoë@example.com").error
    assert Batch.objects.get().attempts == 1
    assert Issue.objects.get().status == Issue.Status.SENT
