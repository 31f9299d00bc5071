"""Newsletter fixtures: a real SMTP server on loopback, newsletters and signups, and a subscriber persona."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from masthead.lib import clock
from masthead.newsletters.models import Issue, IssueArticle, Newsletter, Signup


class Recorder:
    """An aiosmtpd handler that keeps every message it accepted, and can refuse chosen recipients."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return [to for tos, _ in self.messages for to in tos]

    def parsed(self) -> list:
        return [email.message_from_bytes(content, policy=email.policy.default) for _, content in self.messages]

    def to(self, address: str):
        found = [m for m in self.parsed() if address in str(m["To"])]
        assert len(found) == 1, f"{len(found)} messages to {address}"
        return found[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, made the site's mail transport; yields its recorder."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": controller.hostname, "port": controller.port, "timeout": 10},
        }
    }
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def tasks_now(settings):
    """Background jobs run at once, in the test (as the worker would run them)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def body_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def body_html(message) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""


def link(text: str, path_prefix: str) -> str:
    """The path of the first link in ``text`` under ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s<>\"]*)", text)
    assert match, f"no {path_prefix} link in:\n{text}"
    return match.group(1)


def make_newsletter(**fields) -> Newsletter:
    slug = fields.pop("slug", "briefing")
    defaults = {"name": slug.replace("-", " ").title(), "description": f"About {slug}.", "cadence": "Daily"}
    return Newsletter.objects.create(slug=slug, **(defaults | fields))


def confirmed(newsletter: Newsletter, address: str, reader=None) -> Signup:
    now = clock.now()
    return Signup.objects.create(
        newsletter=newsletter,
        email=address.lower(),
        reader=reader,
        status=Signup.Status.CONFIRMED,
        created_at=now,
        confirmed_at=now,
    )


def make_issue(newsletter: Newsletter, articles=(), **fields) -> Issue:
    issue = Issue.objects.create(newsletter=newsletter, subject=fields.pop("subject", "This week"), **fields)
    for position, article in enumerate(articles):
        IssueArticle.objects.create(issue=issue, article=article, sort_order=position)
    return issue


def subscribe_reader(user) -> None:
    """Give ``user`` a live subscription, as billing would after checkout."""
    from masthead.billing.models import Subscription

    now = clock.now()
    Subscription.objects.create(
        reader=user,
        status=Subscription.Status.ACTIVE,
        current_period_start=now,
        current_period_end=now + dt.timedelta(days=30),
        paid_through=now + dt.timedelta(days=30),
    )


@pytest.fixture
def subscriber(db, django_user_model):
    from masthead.accounts.actions import account_email_verify

    user = django_user_model.objects.create_user(email="subscriber@example.com", password="correct-horse-battery")
    account_email_verify(reader=user)
    subscribe_reader(user)
    return user


def send_now(issue: Issue) -> None:
    """Schedule ``issue`` for now and run what the worker would: prepare it, then send every batch."""
    from masthead.newsletters import actions, sending

    actions.issue_schedule(issue=issue, at=None, actor=None)
    sending.prepare(issue.pk)
    sending.drain(issue_id=issue.pk)
