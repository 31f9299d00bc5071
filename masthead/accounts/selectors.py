"""What the account page and the data export show about a reader. Reads only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from masthead.accounts.models import User


def reader_sessions(reader: User) -> list:
    """The reader's signed-in browsers (allauth ``UserSession`` rows), oldest first; ended ones are purged."""
    from allauth.usersessions.models import UserSession

    return sorted(UserSession.objects.purge_and_list(reader), key=lambda session: session.created_at)


def reader_email_addresses(reader: User) -> list[dict[str, Any]]:
    """Every address on the account, the login address first; an unsaved one counts as unverified."""
    from allauth.account.models import EmailAddress

    rows = {
        row.email.lower(): {"email": row.email, "verified": row.verified, "primary": row.primary}
        for row in EmailAddress.objects.filter(user=reader).order_by("-primary", "email")
    }
    if reader.email.lower() not in rows:
        rows = {reader.email.lower(): {"email": reader.email, "verified": False, "primary": True}, **rows}
    return list(rows.values())


def reader_meter(reader: User, *, now: dt.datetime) -> dict[str, Any] | None:
    """The reader's current meter window: articles counted and the limit; None when they are not metered."""
    from masthead.billing.selectors import reader_standing
    from masthead.lib.dates import publication_zone
    from masthead.metering import policy
    from masthead.metering.identity import account_reader
    from masthead.metering.stores import get_store
    from masthead.metering.windows import window_for

    rules = policy.current_rules()
    allowance = rules.allowances.get(reader_standing(reader).segment)
    if allowance is None:
        return None
    window = window_for(allowance, now, publication_zone())
    read = get_store().peek(account_reader(reader.pk).key, window, now)
    return {
        "window": allowance.window.value,
        "starts": window.starts,
        "ends": window.ends,
        "articles_counted": len(read),
        "limit": allowance.limit,
    }


def reader_export(reader: User, *, current_session_key: str | None, now: dt.datetime) -> dict[str, Any]:
    """Everything the account keeps about ``reader`` itself (billing is added by the caller)."""
    return {
        "exported_at": now,
        "profile": {
            "email": reader.email,
            "first_name": reader.first_name,
            "last_name": reader.last_name,
            "joined": reader.date_joined,
            "last_login": reader.last_login,
        },
        "email_addresses": reader_email_addresses(reader),
        "sessions": [
            {
                "started": session.created_at,
                "last_seen": session.last_seen_at,
                "ip": session.ip,
                "browser": session.user_agent,
                "current": session.session_key == current_session_key,
            }
            for session in reader_sessions(reader)
        ],
        "meter": reader_meter(reader, now=now),
        "apps": reader_apps(reader),
    }


def reader_apps(reader: User) -> list[dict[str, Any]]:
    """The reader's live app tokens by name (never the token itself, which is not kept), oldest first."""
    from masthead.accounts.models import AppToken

    return [
        {"name": name, "signed_in": created_at, "last_used": last_used_at}
        for name, created_at, last_used_at in AppToken.objects.filter(reader=reader, revoked_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("name", "created_at", "last_used_at")
    ]
