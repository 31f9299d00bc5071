"""Bounce and complaint webhooks, as the provider posts them through anymail, suppress the address: the next
issue is not sent to it."""

import base64
import json

import pytest
from django.test import Client

from masthead.newsletters.models import Delivery, Suppression
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db

SECRET = "postmark:s3cret-webhook-password"


@pytest.fixture
def webhook(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    client = Client()

    def post(payload, secret=SECRET):
        auth = base64.b64encode(secret.encode()).decode()
        return client.post(
            "/mail/anymail/postmark/tracking/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {auth}",
        )

    return post


def bounce(address):
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Email": address,
        "BouncedAt": "2026-11-29T10:00:00Z",
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Inactive": True,
        "CanActivate": True,
    }


def complaint(address):
    return {**bounce(address), "RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512}


def test_it_suppresses_bounced_and_complaining_addresses(webhook, smtp, newsroom):
    briefing = make_newsletter()
    for address in ("gone@example.com", "angry@example.com", "happy@example.com"):
        confirmed(briefing, address)

    assert webhook(bounce("Gone@example.com")).status_code == 200
    assert webhook(complaint("angry@example.com")).status_code == 200

    reasons = dict(Suppression.objects.values_list("email", "reason"))
    assert reasons == {"gone@example.com": "bounced", "angry@example.com": "complained"}
    send_now(make_issue(briefing, newsroom.articles[:1]))
    assert smtp.recipients() == ["happy@example.com"]
    assert dict(Delivery.objects.values_list("email", "status")) == {
        "gone@example.com": "suppressed",
        "angry@example.com": "suppressed",
        "happy@example.com": "sent",
    }


def test_it_ignores_a_webhook_without_the_secret(webhook):
    response = webhook(bounce("gone@example.com"), secret="postmark:wrong")
    assert response.status_code in (400, 401, 403)
    assert not Suppression.objects.exists()


def test_it_ignores_events_that_do_not_suppress(webhook):
    delivered = {
        "RecordType": "Delivery",
        "MessageID": "x",
        "Recipient": "fine@example.com",
        "DeliveredAt": "2026-11-29T10:00:00Z",
        "Details": "",
        "Tag": "",
        "ServerID": 1,
        "Metadata": {},
    }
    assert webhook(delivered).status_code == 200
    assert not Suppression.objects.exists()


def test_it_answers_a_bounce_for_a_malformed_recipient_without_an_error(webhook):
    for recipient in ("not an address", "x" * 300 + "@example.com"):
        assert webhook(bounce(recipient)).status_code == 200
    assert not Suppression.objects.exists()
