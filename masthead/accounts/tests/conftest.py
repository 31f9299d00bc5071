"""Fixtures for the account tests: a reader whose address is verified, and billing held still."""

from __future__ import annotations

import re

import pytest

# The personas' password (the root conftest.py).
PASSWORD = "correct-horse-battery"


@pytest.fixture
def verified_reader(reader):
    """The registered reader, with the login address confirmed (as after sign-up)."""
    from masthead.accounts.actions import account_email_verify

    account_email_verify(reader=reader)
    return reader


@pytest.fixture
def billing(monkeypatch):
    """Billing's account summary and export, replaced by fixed values so these tests see only accounts."""
    from masthead.billing import selectors

    monkeypatch.setattr(selectors, "account_summary", lambda reader: None, raising=False)
    monkeypatch.setattr(
        selectors, "export_for", lambda reader: {"subscriptions": [], "for": reader.email}, raising=False
    )


def log_in(client, email, password=PASSWORD):
    """Log in through the login form, as a browser does; returns the response."""
    return client.post("/accounts/login/", {"login": email, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in an email whose path starts with ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", message.body)
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(1)


def code_in(message) -> str:
    """The one-time code in a log-in code email (a line of its own)."""
    match = re.search(r"^\s*([A-Z0-9]{4,}(?:-[A-Z0-9]+)*)\s*$", message.body, re.M)
    assert match, f"no code in:\n{message.body}"
    return match.group(1)
