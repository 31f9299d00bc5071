"""Account mutations that are not allauth's own (allauth keeps sign-up, log-in, passwords and email changes)."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from masthead.accounts.models import User

logger = logging.getLogger(__name__)


def account_email_verify(*, reader: User) -> None:
    """Record the reader's login address as verified and primary; returns None.

    For accounts made outside sign-up (the demo, staff created by command),
    whose address someone has already vouched for.
    """
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=reader).exclude(email__iexact=reader.email).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=reader, email=reader.email.lower(), defaults={"verified": True, "primary": True}
    )


def account_delete(*, reader: User, actor: User) -> None:
    """Delete the reader's account and what is kept under it; returns None.

    Billing is closed first (cancelling anything that would charge again), in
    the same transaction, so a failure there leaves the account as it was.
    After commit, every browser still signed in as the reader is signed out
    and the reader's meter windows are forgotten. The reader's app tokens are
    revoked in the same transaction: an app holding one is signed out at once.
    """
    from masthead.accounts.tokens import app_tokens_revoke_all
    from masthead.billing.actions import reader_billing_close
    from masthead.newsletters.actions import reader_newsletters_forget

    if actor.pk != reader.pk and not actor.is_staff:
        raise PermissionDenied("only the reader or staff may delete an account")
    reader_id = reader.pk
    with transaction.atomic():
        app_tokens_revoke_all(reader=reader)
        session_keys = _session_keys(reader)
        reader_billing_close(reader=reader, actor=actor)
        reader_newsletters_forget(reader=reader)
        reader.delete()
        transaction.on_commit(lambda: _forget(reader_id, session_keys))
    logger.info("account %s deleted by %s", reader_id, "the reader" if actor.pk == reader_id else f"staff {actor.pk}")


def _session_keys(reader: User) -> list[str]:
    from allauth.usersessions.models import UserSession

    return list(UserSession.objects.filter(user=reader).values_list("session_key", flat=True))


def _forget(reader_id: int, session_keys: list[str]) -> None:
    from masthead.metering.actions import reader_meter_forget
    from masthead.metering.identity import account_reader

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store(session_key=key).delete()
    reader_meter_forget(reader_key=account_reader(reader_id).key)
