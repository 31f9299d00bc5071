"""Who the reader is, for the meter: an account, or an anonymous id in a signed cookie.

The anonymous id is minted lazily, only when a metered decision needs it, so
pages that never consult the meter (free articles, sections) set no cookie and
stay cacheable. An app install will present a device id the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

COOKIE = "mh_reader"
SALT = "masthead.metering.reader"
MAX_AGE = 60 * 60 * 24 * 397  # about 13 months


@dataclass(frozen=True)
class ReaderId:
    kind: str  # "account", "cookie" or "device"
    value: str

    @property
    def key(self) -> str:
        """The store key, e.g. ``a:42`` or ``c:5f0c…``."""
        return f"{self.kind[0]}:{self.value}"


def account_reader(user_id: int) -> ReaderId:
    return ReaderId("account", str(user_id))


def parse_key(key: str) -> ReaderId | None:
    """The ``ReaderId`` for a store key typed by staff; None when it is not one."""
    kinds = {"a": "account", "c": "cookie", "d": "device"}
    prefix, _, value = key.strip().partition(":")
    if prefix not in kinds or not value:
        return None
    return ReaderId(kinds[prefix], value)


class RequestReader:
    """The reader behind one request (``request.reader``)."""

    def __init__(self, request):
        self.request = request
        self.minted = False
        self._cookie_id: str | None = None
        self._cookie_read = False

    @property
    def cookie_id(self) -> str | None:
        """The anonymous id the browser sent, if it was genuine; never mints one."""
        if not self._cookie_read:
            self._cookie_read = True
            raw = self.request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=MAX_AGE)
            try:
                self._cookie_id = str(uuid.UUID(raw)) if raw else None
            except ValueError:
                self._cookie_id = None
        return self._cookie_id

    def anonymous(self) -> ReaderId:
        """The browser's anonymous id, minting one (set on the response) when it has none."""
        if self.cookie_id is None:
            self._cookie_id = str(uuid.uuid4())
            self.minted = True
        return ReaderId("cookie", self._cookie_id)

    def current(self) -> ReaderId:
        """The account when logged in, otherwise the anonymous id."""
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return account_reader(user.pk)
        return self.anonymous()


class ReaderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.reader = RequestReader(request)
        response = self.get_response(request)
        if request.reader.minted:
            response.set_signed_cookie(
                COOKIE,
                request.reader.cookie_id,
                salt=SALT,
                max_age=MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
