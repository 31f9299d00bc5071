"""Every mail transport masthead supports passes the same contract.

The transports: the demo mailbox (``ops.mailbox.MailboxBackend``), Django's locmem backend (the tests' outbox), and
Django's SMTP backend talking to a real SMTP server (aiosmtpd) that the test starts on loopback. Each must carry
the subject, the sender, the recipients, a Message-ID, and both the text and the HTML part, in UTF-8 intact.
"""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from masthead.ops.mailbox import message_parts
from masthead.ops.models import MailboxMessage

pytestmark = pytest.mark.django_db

SUBJECT = "Café – 東京: your receipt"
TEXT = "Grüße from the Café – 東京 desk.\nTotal: €12.00\n"
HTML = "<p>Grüße from the <strong>Café – 東京</strong> desk.</p><p>Total: €12.00</p>"
# A UTF-8 display name; the addresses themselves are ASCII, which every SMTP server accepts.
TO = ["Zoë Reader <zoe@example.com>", "second@example.com"]


@dataclass(frozen=True)
class Received:
    """What arrived at the far end of a transport."""

    subject: str
    from_email: str
    to: list[str]
    message_id: str
    text: str
    html: str


def from_mime(mime) -> Received:
    text, html = message_parts(mime)
    return Received(
        subject=str(mime["Subject"]),
        from_email=str(mime["From"]),
        to=[address.strip() for address in str(mime["To"]).split(",")],
        message_id=str(mime.get("Message-ID", "")),
        text=text,
        html=html,
    )


class Recorder:
    """An aiosmtpd handler that keeps what the server accepted."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, recorder
    finally:
        controller.stop()


def locmem(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    def received() -> Received:
        return from_mime(mail.outbox[-1].message())

    return "default", received


def mailbox(settings):
    settings.MAILERS = {"default": {"BACKEND": "masthead.ops.mailbox.MailboxBackend"}}

    def received() -> Received:
        kept = MailboxMessage.objects.get()
        return Received(
            subject=kept.subject,
            from_email=kept.from_email,
            to=[address.strip() for address in kept.to.split(",")],
            message_id=kept.message_id,
            text=kept.text_body,
            html=kept.html_body,
        )

    return "default", received


def smtp(settings, server):
    controller, recorder = server
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": controller.hostname, "port": controller.port, "timeout": 10},
        }
    }

    def received() -> Received:
        [(envelope_to, content)] = recorder.messages
        assert sorted(envelope_to) == ["second@example.com", "zoe@example.com"]
        return from_mime(email.message_from_bytes(content, policy=email.policy.default))

    return "default", received


@pytest.fixture(params=["mailbox", "locmem", "smtp"])
def transport(request, settings):
    if request.param == "smtp":
        return smtp(settings, request.getfixturevalue("smtp_server"))
    return {"mailbox": mailbox, "locmem": locmem}[request.param](settings)


def send(alias: str) -> int:
    message = EmailMultiAlternatives(subject=SUBJECT, body=TEXT, to=TO)
    message.attach_alternative(HTML, "text/html")
    return message.send(using=alias)


def test_it_delivers_both_parts(transport):
    alias, received = transport
    assert send(alias) == 1
    got = received()
    assert got.text.replace("\r\n", "\n") == TEXT
    assert got.html.strip() == HTML


def test_it_keeps_the_subject_sender_and_recipients(transport, settings):
    alias, received = transport
    send(alias)
    got = received()
    assert got.subject == SUBJECT
    assert got.from_email == settings.DEFAULT_FROM_EMAIL
    assert got.to == TO


def test_it_gives_each_message_an_id(transport):
    alias, received = transport
    send(alias)
    message_id = received().message_id
    assert message_id.startswith("<") and message_id.endswith(">") and "@" in message_id
