"""Every mail transport masthead supports passes the same contract.

The transports: the demo mailbox (``ops.mailbox.MailboxBackend``), Django's locmem backend (the tests' outbox),
Django's SMTP backend talking to a real SMTP server (aiosmtpd) that the test starts on loopback, and each HTTP API
provider ``EMAIL_PROVIDER`` may name (through django-anymail), talking to a fake of the provider's send endpoint on
loopback that answers as the provider documents. Each must carry the subject, the sender, the recipients and both
the text and the HTML part, in UTF-8 intact. A MIME transport gives the message a Message-ID; a provider gets the
API key the way it expects it, and its id for the message is reported back to the sender.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from masthead.ops.mailbox import message_parts
from masthead.ops.models import MailboxMessage
from masthead.settings import email_api_mailers

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


# --- HTTP API providers -----------------------------------------------------------------------------------

API_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
ENVELOPE = ["zoe@example.com", "second@example.com"]


@dataclass(frozen=True)
class Request:
    """One request the fake provider received."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("ascii"), encoding="utf-8", errors="strict", strict_parsing=True)


def address(value: dict[str, str]) -> str:
    """``{"email": ..., "name": ...}`` (SendGrid's and Brevo's shape) as ``Name <email>``."""
    return f"{value['name']} <{value['email']}>" if value.get("name") else value["email"]


def split(header: str) -> list[str]:
    return [part.strip() for part in header.split(",")]


@dataclass(frozen=True)
class Provider:
    """What one provider's send endpoint looks like, from its API reference and anymail's backend for it."""

    path: str  # under the API base URL
    answer: Callable[[Request], tuple[int, Any]]  # the documented success response: status and JSON (None: empty)
    read: Callable[[Request], Received]  # what the request carried
    api_key: Callable[[dict[str, str]], str]  # where the key travels
    message_id: Callable[[Request, Any], str]  # the provider's id for the message, from the request and answer


def _mailgun(request: Request) -> Received:
    form = request.form()
    (text,), (html,) = form["text"], form["html"]
    return Received(form["subject"][0], form["from"][0], form["to"], "", text, html)


def _postmark(request: Request) -> Received:
    data = request.json()
    return Received(data["Subject"], data["From"], split(data["To"]), "", data["TextBody"], data["HtmlBody"])


def _sendgrid(request: Request) -> Received:
    data = request.json()
    parts = {part["type"]: part["value"] for part in data["content"]}
    to = [address(recipient) for recipient in data["personalizations"][0]["to"]]
    return Received(data["subject"], address(data["from"]), to, "", parts["text/plain"], parts["text/html"])


def _brevo(request: Request) -> Received:
    data = request.json()
    to = [address(recipient) for recipient in data["to"]]
    return Received(data["subject"], address(data["sender"]), to, "", data["textContent"], data["htmlContent"])


def _resend(request: Request) -> Received:
    data = request.json()
    return Received(data["subject"], data["from"], data["to"], "", data["text"], data["html"])


def _sparkpost(request: Request) -> Received:
    data = request.json()
    content, recipients = data["content"], data["recipients"]
    assert [recipient["address"]["email"] for recipient in recipients] == ENVELOPE
    to = split(recipients[0]["address"]["header_to"])
    return Received(content["subject"], content["from"], to, "", content["text"], content["html"])


def _basic(headers: dict[str, str]) -> str:
    scheme, _, credentials = headers.get("Authorization", "").partition(" ")
    assert scheme == "Basic"
    user, _, key = base64.b64decode(credentials).decode().partition(":")
    assert user == "api"
    return key


def _bearer(headers: dict[str, str]) -> str:
    scheme, _, key = headers.get("Authorization", "").partition(" ")
    assert scheme == "Bearer"
    return key


PROVIDERS: dict[str, Provider] = {
    # POST /v3/<domain>/messages, form-encoded; HTTP basic auth as "api"; answers the queued message's id.
    "mailgun": Provider(
        path="/example.com/messages",
        answer=lambda r: (200, {"id": "<20261129154500.1.5817@example.com>", "message": "Queued. Thank you."}),
        read=_mailgun,
        api_key=_basic,
        message_id=lambda r, answer: answer["id"],
    ),
    # POST /email, JSON; the server token in X-Postmark-Server-Token; answers one object per message.
    "postmark": Provider(
        path="/email",
        answer=lambda r: (
            200,
            {
                "To": r.json()["To"],
                "SubmittedAt": "2026-11-29T15:45:01.4178645Z",
                "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d",
                "ErrorCode": 0,
                "Message": "OK",
            },
        ),
        read=_postmark,
        api_key=lambda headers: headers.get("X-Postmark-Server-Token", ""),
        message_id=lambda r, answer: answer["MessageID"],
    ),
    # POST /v3/mail/send, JSON; a bearer token; answers 202 Accepted with no body. The id is anymail's own, sent
    # along as a custom argument so that the provider's events carry it back.
    "sendgrid": Provider(
        path="/mail/send",
        answer=lambda r: (202, None),
        read=_sendgrid,
        api_key=_bearer,
        message_id=lambda r, answer: r.json()["personalizations"][0]["custom_args"]["anymail_id"],
    ),
    # POST /v3/smtp/email, JSON; the key in an api-key header; answers 201 Created with the message's id.
    "brevo": Provider(
        path="/smtp/email",
        answer=lambda r: (201, {"messageId": "<202611291545.12345678901@smtp-relay.mailin.fr>"}),
        read=_brevo,
        api_key=lambda headers: headers.get("api-key", ""),
        message_id=lambda r, answer: answer["messageId"],
    ),
    # POST /emails, JSON; a bearer token; answers the email's id.
    "resend": Provider(
        path="/emails",
        answer=lambda r: (200, {"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}),
        read=_resend,
        api_key=_bearer,
        message_id=lambda r, answer: answer["id"],
    ),
    # POST /api/v1/transmissions, JSON; the bare key in Authorization; answers the transmission's id and counts.
    "sparkpost": Provider(
        path="/transmissions/",
        answer=lambda r: (
            200,
            {
                "results": {
                    "total_rejected_recipients": 0,
                    "total_accepted_recipients": len(r.json()["recipients"]),
                    "id": "11668787484950529",
                }
            },
        ),
        read=_sparkpost,
        api_key=lambda headers: headers.get("Authorization", ""),
        message_id=lambda r, answer: answer["results"]["id"],
    ),
}


class FakeProvider:
    """A provider's send endpoint on loopback: it keeps each request and answers as the provider documents."""

    def __init__(self, provider: Provider):
        self.provider = provider
        self.requests: list[Request] = []
        self.answers: list[Any] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                request = Request(self.path, dict(self.headers), self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(request)
                if request.path != f"/base{fake.provider.path}":
                    status, answer = 404, {"message": f"no such endpoint: {request.path}"}
                else:
                    status, answer = fake.provider.answer(request)
                fake.answers.append(answer)
                body = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/base/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def received(self) -> Received:
        (request,) = self.requests
        got = self.provider.read(request)
        return Received(
            got.subject, got.from_email, got.to, self.provider.message_id(request, self.answers[0]), got.text, got.html
        )


def provider(request, settings) -> FakeProvider:
    """A fake of ``request.param``'s endpoint, running until the test ends, and the mailer that sends to it."""
    fake = FakeProvider(PROVIDERS[request.param]).start()
    request.addfinalizer(fake.stop)
    # The same code path as EMAIL_PROVIDER=<name>, EMAIL_PROVIDER_API_KEY and EMAIL_PROVIDER_API_URL.
    settings.MAILERS = email_api_mailers(request.param, api_key=API_KEY, api_url=fake.url)
    return fake


# SendGrid still works through anymail, which warns that it no longer supports it officially.
SENDGRID = pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
API_PROVIDERS = [pytest.param(name, marks=SENDGRID if name == "sendgrid" else ()) for name in PROVIDERS]
MIME_TRANSPORTS = ["mailbox", "locmem", "smtp"]


def _transport(request, settings):
    if request.param in PROVIDERS:
        return "default", provider(request, settings).received
    if request.param == "smtp":
        return smtp(settings, request.getfixturevalue("smtp_server"))
    return {"mailbox": mailbox, "locmem": locmem}[request.param](settings)


@pytest.fixture(params=[*MIME_TRANSPORTS, *API_PROVIDERS])
def transport(request, settings):
    return _transport(request, settings)


@pytest.fixture(params=MIME_TRANSPORTS)
def mime_transport(request, settings):
    return _transport(request, settings)


@pytest.fixture(params=API_PROVIDERS)
def api_provider(request, settings):
    return "default", provider(request, settings)


def message() -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=SUBJECT, body=TEXT, to=TO)
    message.attach_alternative(HTML, "text/html")
    return message


def send(alias: str) -> int:
    return message().send(using=alias)


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


def test_it_gives_each_message_an_id(mime_transport):
    alias, received = mime_transport
    send(alias)
    message_id = received().message_id
    assert message_id.startswith("<") and message_id.endswith(">") and "@" in message_id


def test_it_sends_the_api_key_as_the_provider_expects(api_provider):
    alias, fake = api_provider
    send(alias)
    (request,) = fake.requests
    assert fake.provider.api_key(request.headers) == API_KEY


def test_it_reports_the_providers_message_id(api_provider):
    alias, fake = api_provider
    sent = message()
    sent.send(using=alias)
    (request,) = fake.requests
    assert sent.anymail_status.status <= {"queued", "sent"}
    assert sent.anymail_status.message_id == fake.provider.message_id(request, fake.answers[0])
