"""The mailbox keeps every message the site sends, account mail from allauth included, not only billing's."""

from __future__ import annotations

import pytest

from masthead.ops.models import MailboxMessage

pytestmark = pytest.mark.django_db


def test_it_keeps_a_password_reset(client, reader, settings):
    settings.MAILERS = {"default": {"BACKEND": "masthead.ops.mailbox.MailboxBackend"}}
    MailboxMessage.objects.all().delete()

    response = client.post("/accounts/password/reset/", {"email": reader.email})

    assert response.status_code == 302
    kept = MailboxMessage.objects.get()
    assert kept.to == reader.email
    assert kept.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    assert "/accounts/password/reset/key/" in kept.text_body
