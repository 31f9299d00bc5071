"""Who is calling: an app token (an account) or a device token (an anonymous app install).

A successful check puts the caller where the rest of masthead looks for a
reader: ``request.user`` is the token's account (or anonymous for a device), and
``request.reader`` is an ``AppReader`` carrying the device id. So the paywall's
gate, billing's standing and the meter see an app exactly as they see a
browser, and nothing the session cookie says is ever believed here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from masthead.accounts import tokens
from masthead.accounts.models import AppToken, Device
from masthead.metering.identity import AppReader


@dataclass(frozen=True)
class Caller:
    """``request.auth`` after a successful check."""

    app_token: AppToken | None = None  # set when an account's app token was presented
    device: Device | None = None  # set when a device token was presented

    @property
    def ident(self) -> str:
        if self.app_token is not None:
            return f"t{self.app_token.pk}"
        return f"d{self.device.pk}"


def _as_app_token(request: HttpRequest, secret: str) -> Caller | None:
    found = tokens.app_token_for(secret)
    if found is None:
        return None
    request.user = found.reader
    request.reader = AppReader(request, str(found.device_id) if found.device_id else None)
    return Caller(app_token=found)


def _as_device(request: HttpRequest, secret: str) -> Caller | None:
    device = tokens.device_for(secret)
    if device is None:
        return None
    request.user = AnonymousUser()
    request.reader = AppReader(request, str(device.pk))
    return Caller(device=device)


class ReaderAuth(HttpBearer):
    """An app token or a device token: a signed-in or an anonymous app."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        if token.startswith(tokens.ACCOUNT_PREFIX):
            return _as_app_token(request, token)
        return _as_device(request, token)


class AccountAuth(ReaderAuth):
    """An app token only: a device token is known but not enough (403), anything else is refused (401)."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        if token.startswith(tokens.DEVICE_PREFIX) and tokens.device_for(token) is not None:
            raise AuthorizationError(message="This needs a signed-in reader: log in first.")
        return _as_app_token(request, token)


reader_auth = ReaderAuth()
account_auth = AccountAuth()


def presented_device(request: HttpRequest) -> Device | None:
    """The live device whose token is in the Authorization header, if any (for operations open to anyone)."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return tokens.device_for(secret.strip())


# --- Rate limits ------------------------------------------------------------------


class RateLimit(BaseThrottle):
    """A fixed-window request counter in Django's cache: one atomic add and increment per request.

    Keyed by the caller's token or device when there is one, otherwise by the
    client address (which ``TrustedProxyMiddleware`` has already resolved).
    The rate is read from settings on each request, so it can change without
    a restart of this object.
    """

    def __init__(self, scope: str, setting: str):
        self.scope = scope
        self.setting = setting

    def _rate(self) -> tuple[int, int]:
        count, _, period = getattr(settings, self.setting).partition("/")
        return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period]

    def allow_request(self, request: HttpRequest) -> bool:
        limit, seconds = self._rate()
        caller = getattr(request, "auth", None)
        ident = caller.ident if isinstance(caller, Caller) else f"ip{request.META.get('REMOTE_ADDR', '')}"
        key = f"api-rate:{self.scope}:{ident}:{int(time.time() // seconds)}"
        cache.add(key, 0, seconds + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # evicted between the two calls: this request starts the window again
            cache.set(key, 1, seconds + 1)
            used = 1
        return used <= limit

    def wait(self) -> float:
        """Seconds until the current window ends (whole seconds, at least 1)."""
        _, seconds = self._rate()
        return max(1, math.ceil(seconds - time.time() % seconds))


reader_rate = RateLimit("reader", "API_RATE_LIMIT")
auth_rate = RateLimit("auth", "API_AUTH_RATE_LIMIT")
