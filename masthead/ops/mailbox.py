"""The demo mailbox: a mail backend that keeps every message in the database instead of delivering it.

Chosen by settings like any other mail transport (``MAILERS["default"]``): demo mode uses it unless told otherwise,
and ``EMAIL_PROVIDER=mailbox`` turns it on anywhere (a staging site that must never mail real people). Staff read
the messages in the admin under Mailbox, so a newcomer can see every message the site sends: account mail from
allauth as well as billing notices.
"""

from __future__ import annotations

from email.message import EmailMessage as MIMEMessage

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from masthead.lib import clock

BACKEND = "masthead.ops.mailbox.MailboxBackend"


class MailboxBackend(BaseEmailBackend):
    """Stores each message as a ``MailboxMessage``; takes no options of its own."""

    def send_messages(self, email_messages) -> int:
        from masthead.ops.models import MailboxMessage

        kept = 0
        for message in email_messages:
            if not message.recipients():
                continue  # as the SMTP backend does: a message to nobody is not sent
            mime = message.message()  # builds the headers (Message-ID, Date) and validates them
            text, html = message_parts(mime)
            MailboxMessage.objects.create(
                created_at=clock.now(),
                from_email=str(mime.get("From", message.from_email)),
                to=", ".join(message.recipients()),
                subject=str(mime.get("Subject", "")),
                message_id=str(mime.get("Message-ID", ""))[:255],
                text_body=text,
                html_body=html,
                headers=[[name, str(value)] for name, value in mime.items()],
            )
            kept += 1
        return kept


def message_parts(mime: MIMEMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of ``mime`` (decoded), each ``""`` when the message has no such part."""
    text = mime.get_body(preferencelist=("plain",))
    html = mime.get_body(preferencelist=("html",))
    return (text.get_content() if text is not None else "", html.get_content() if html is not None else "")


def is_active() -> bool:
    """Whether outgoing mail goes to the mailbox (so the admin shows its page)."""
    mailers = getattr(settings, "MAILERS", {})
    return settings.DEMO or any(config.get("BACKEND") == BACKEND for config in mailers.values())
