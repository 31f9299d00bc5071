"""App tokens, devices and app log-in codes: minting, lookup and the actions that change them.

Every secret handed to an app is a random ``secrets.token_urlsafe(32)`` (256 bits)
behind a short prefix that says what it is (``mha_`` an account's app token,
``mhd_`` an anonymous device). Only its SHA-256 digest is stored. A slow key
derivation function protects low-entropy secrets such as passwords from
guessing; a 256-bit random value cannot be guessed, so one fast hash is enough
and a lookup is one indexed query. Log-in codes are short, so they also expire
within minutes and allow only a few attempts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from masthead.accounts.models import AppToken, Device, LoginCode, User
from masthead.lib import clock

logger = logging.getLogger(__name__)

ACCOUNT_PREFIX = "mha_"
DEVICE_PREFIX = "mhd_"
# A token's last use is written at most this often: a busy app would otherwise write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)
# Revoked app tokens and devices are kept this long (a trail for support and staff), then deleted.
REVOKED_KEPT = dt.timedelta(days=30)


def digest(secret: str) -> str:
    """The SHA-256 hex digest a secret is stored and looked up under."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _mint(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


# --- Lookup ---------------------------------------------------------------------


def app_token_for(secret: str) -> AppToken | None:
    """The live app token ``secret`` names, with its reader; None when unknown, revoked or not an app token."""
    if not secret.startswith(ACCOUNT_PREFIX):
        return None
    token = (
        AppToken.objects.select_related("reader")
        .filter(digest=digest(secret), revoked_at__isnull=True, reader__is_active=True)
        .first()
    )
    if token is not None:
        _touch(AppToken, token)
    return token


def device_for(secret: str) -> Device | None:
    """The live device ``secret`` names; None when unknown, revoked or not a device token."""
    if not secret.startswith(DEVICE_PREFIX):
        return None
    device = Device.objects.filter(digest=digest(secret), revoked_at__isnull=True).first()
    if device is not None:
        _touch(Device, device)
    return device


def _touch(model, row) -> None:
    """Record a use, at most once per ``LAST_USED_RESOLUTION``, with one conditional UPDATE."""
    now = clock.now()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_RESOLUTION:
        return
    model.objects.filter(pk=row.pk, last_used_at=row.last_used_at).update(last_used_at=now)
    row.last_used_at = now


# --- Actions --------------------------------------------------------------------


def app_token_create(*, reader: User, name: str, device: Device | None = None) -> tuple[AppToken, str]:
    """Issue an app token for ``reader``; returns the row and the secret (shown once, never stored)."""
    secret = _mint(ACCOUNT_PREFIX)
    token = AppToken.objects.create(
        reader=reader, name=name.strip()[:100] or "App", digest=digest(secret), device=device, created_at=clock.now()
    )
    logger.info("app token %s issued to account %s", token.pk, reader.pk)
    return token, secret


def app_token_revoke(*, token: AppToken, actor: User) -> None:
    """Revoke ``token`` at once; returns None. Only its reader or staff may."""
    from django.core.exceptions import PermissionDenied

    if actor.pk != token.reader_id and not actor.is_staff:
        raise PermissionDenied("only the reader or staff may revoke an app token")
    AppToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    token.refresh_from_db(fields=["revoked_at"])
    logger.info("app token %s revoked by %s", token.pk, actor.pk)


def app_tokens_revoke_all(*, reader: User) -> int:
    """Revoke every app token of ``reader``; returns how many were live."""
    return AppToken.objects.filter(reader=reader, revoked_at__isnull=True).update(revoked_at=clock.now())


def device_create() -> tuple[Device, str]:
    """Register an anonymous app install; returns the row and its secret (shown once, never stored)."""
    secret = _mint(DEVICE_PREFIX)
    device = Device.objects.create(id=uuid.uuid4(), digest=digest(secret), created_at=clock.now())
    return device, secret


def device_revoke(*, device: Device) -> None:
    Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(revoked_at=clock.now())


@dataclass(frozen=True)
class CredentialsPruned:
    app_tokens: int
    devices: int
    login_codes: int


def credentials_prune(*, now: dt.datetime) -> CredentialsPruned:
    """Delete what can never be used again: tokens and devices revoked over ``REVOKED_KEPT`` ago, expired codes.

    No one is signed out by this: a revoked token or device already answers 401, and an
    expired code is refused. Without it their rows would only ever accumulate.
    """
    cutoff = now - REVOKED_KEPT
    with transaction.atomic():
        app_tokens = AppToken.objects.filter(revoked_at__lt=cutoff).delete()[1].get(AppToken._meta.label, 0)
        # A token keeps its row when the device it was issued on goes (its ``device`` becomes NULL).
        devices = Device.objects.filter(revoked_at__lt=cutoff).delete()[1].get(Device._meta.label, 0)
        login_codes = LoginCode.objects.filter(expires_at__lte=now).delete()[1].get(LoginCode._meta.label, 0)
    return CredentialsPruned(app_tokens=app_tokens, devices=devices, login_codes=login_codes)


# --- Log-in codes for apps ------------------------------------------------------


def login_code_issue(*, reader: User) -> str:
    """A new log-in code for ``reader`` (any earlier one stops working); returns the code to email."""
    from allauth.account import app_settings
    from allauth.account.adapter import get_adapter

    code = get_adapter().generate_login_code()
    now = clock.now()
    with transaction.atomic():
        LoginCode.objects.filter(reader=reader).delete()
        LoginCode.objects.create(
            reader=reader,
            digest=_code_digest(code),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=app_settings.LOGIN_BY_CODE_TIMEOUT),
        )
    return code


def login_code_check(*, reader: User, code: str) -> bool:
    """True, once, when ``code`` is ``reader``'s current code; a wrong guess uses up an attempt."""
    from allauth.account import app_settings

    now = clock.now()
    with transaction.atomic():
        found = LoginCode.objects.select_for_update().filter(reader=reader, expires_at__gt=now).first()
        if found is None:
            return False
        if hmac.compare_digest(found.digest, _code_digest(code)):
            found.delete()
            return True
        found.attempts += 1
        if found.attempts >= app_settings.LOGIN_BY_CODE_MAX_ATTEMPTS:
            found.delete()
        else:
            found.save(update_fields=["attempts"])
        return False


def _code_digest(code: str) -> str:
    """Codes are short: keyed with SECRET_KEY, so a leaked table cannot be reversed by trying every code.

    Only letters and digits count, in any case: the dash allauth prints for readability ("BCDF-GHJK") and any
    spaces may be typed or left out, as allauth's own check allows.
    """
    normalised = "".join(char for char in code if char.isalnum()).upper()
    return hmac.new(settings.SECRET_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()
