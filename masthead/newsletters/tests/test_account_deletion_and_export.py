"""A reader's newsletter signups are in their data export, and go with their account."""

import json

import pytest

from masthead.accounts.actions import account_delete
from masthead.newsletters.models import Delivery, Signup, Suppression
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


def test_it_exports_the_readers_signups(reader_client, reader):
    confirmed(make_newsletter(name="The Briefing"), reader.email, reader=reader)
    data = json.loads(reader_client.get("/account/export.json").content)
    [signup] = data["newsletters"]
    assert signup["newsletter"] == "The Briefing" and signup["email"] == reader.email
    assert signup["status"] == "confirmed"


def test_it_forgets_signups_and_blanks_deliveries_on_deletion(reader, newsroom):
    briefing = make_newsletter()
    confirmed(briefing, reader.email, reader=reader)
    confirmed(briefing, "other@example.com")
    send_now(make_issue(briefing, newsroom.articles[:1]))
    Suppression.objects.create(email=reader.email, reason="bounced", created_at=reader.date_joined)

    account_delete(reader=reader, actor=reader)

    assert list(Signup.objects.values_list("email", flat=True)) == ["other@example.com"]
    assert sorted(Delivery.objects.values_list("email", "status")) == [("", "sent"), ("other@example.com", "sent")]
    assert Suppression.objects.filter(email=reader.email).exists()  # never mailed again
