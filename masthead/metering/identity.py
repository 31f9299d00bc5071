"""Who the reader is, for the meter: an account, or an anonymous id in a signed cookie.

The anonymous id is minted lazily, only when a metered decision needs it, so
pages that never consult the meter (free articles, sections) set no cookie and
stay cacheable. An app install presents a device id instead (``AppReader``).

The cookie is Django's signed cookie (``set_signed_cookie`` / ``get_signed_cookie``
with ``SALT``): the id, the time it was signed and an HMAC-SHA256 of both. Every
metered page reads or mints one, so both are made cheap without changing the
format or what is accepted:

- **Checking.** A cookie value this process has already verified is remembered
  (a bounded LRU of the signed string, the id and its signing time), so a
  returning reader's cookie is checked with a dictionary lookup and a
  comparison of its age against ``MAX_AGE``: an expired cookie is refused from
  the memo exactly as Django would refuse it. A value seen for the first time
  is checked with the HMAC under ``SECRET_KEY``; anything that fails that
  (a forgery, or a cookie signed under a fallback key) goes through Django's
  own ``get_signed_cookie``, which decides. Only values that passed are ever
  remembered, keyed by the whole signed string, so a forgery can never match.
  A new reader's cookie is remembered when it comes back, not when it is set.
- **Minting.** The HMAC key Django derives from the salt and ``SECRET_KEY`` on
  every call is derived once per process; the signature is the same
  HMAC-SHA256 over the same bytes. On first use the result is checked against
  Django's ``get_signed_cookie``, and if Django ever refuses it (a different
  signing backend, a changed format) minting falls back to
  ``set_signed_cookie``.

Changing ``SECRET_KEY`` (or its fallbacks) forgets the derived key and the memo.

**A new reader's first read rides in the cookie.** A reader minted by this
request has read nothing, so their first metered article needs no look-up, and
it is not written to the meter store either: the cookie set with the new id
names it instead (``<id>.<window>.<article>``, signed like any value, the
signing time being the time of the read). On the reader's next metered view the
gate writes that read to the store before counting the new one, and the cookie
is set again with the bare id. Most visitors read one article and never come
back, so most never cost a store write or leave a row behind. Nothing is given
away: the claim is signed and bound to its id, so it can be neither forged nor
moved; a reader who drops the cookie is a new reader, as they always were; and
one who replays the first cookie later only writes the same read again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.cookies import Morsel

from django.core import signing
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.utils.http import http_date

from masthead.lib.lru import LRU

COOKIE = "mh_reader"
SALT = "masthead.metering.reader"
MAX_AGE = 60 * 60 * 24 * 397  # about 13 months

# Cookie values remembered as verified, per process. Each entry is about 350 bytes, so the
# memo stays under 6 MB; a reader pushed out costs one HMAC when they come back.
VERIFIED_COOKIES = 16_384

# The salt Django's signed cookies use for (COOKIE, SALT) since Django 6.1, and the prefix of
# the key it signs them with. If a Django release changes either, the self-check in
# ``_Signer.usable`` finds that Django refuses what this module signs and minting falls back
# to Django's own ``set_signed_cookie``; checking falls back to ``get_signed_cookie`` for
# every value it cannot verify itself.
_DJANGO_COOKIE_SALT = f"django.http.cookies.v2:{len(SALT)}:{SALT}{COOKIE}"
_DJANGO_COOKIE_KEY_PREFIX = b"django.http.cookies"


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


def _b62(number: int) -> str:
    """``number`` (not negative) in base 62, as Django's signed timestamps write it."""
    digits = signing.BASE62_ALPHABET
    encoded = ""
    while True:
        number, remainder = divmod(number, 62)
        encoded = digits[remainder] + encoded
        if not number:
            return encoded


class _Signer:
    """Django's signed-cookie signature for ``mh_reader``, with its key derived once."""

    def __init__(self, secret: str | bytes):
        secret = secret.encode() if isinstance(secret, str) else secret
        # What django.utils.crypto.salted_hmac derives on every call: the HMAC key is the
        # SHA-256 of the signer's salt and the secret.
        self.key = hashlib.sha256(
            (_DJANGO_COOKIE_SALT + "signer").encode() + _DJANGO_COOKIE_KEY_PREFIX + secret
        ).digest()
        # Keyed once: a copy of it costs less than a one-shot HMAC, which sets up the key every time.
        self._keyed = hmac.new(self.key, digestmod=hashlib.sha256)
        self._usable: bool | None = None

    def signature(self, payload: str) -> str:
        mac = self._keyed.copy()
        mac.update(payload.encode())
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def sign(self, value: str, at: float) -> str:
        payload = f"{value}:{_b62(int(at))}"
        return f"{payload}:{self.signature(payload)}"

    def verify(self, signed: str) -> tuple[str, int] | None:
        """``(value, signed at)`` when ``signed`` carries this key's signature; else None. Ignores age."""
        payload, sep, signature = signed.rpartition(":")
        if not sep or not hmac.compare_digest(signature.encode(), self.signature(payload).encode()):
            return None
        return _split_payload(payload)

    def usable(self) -> bool:
        """True when Django accepts what this signer signs (checked once)."""
        if self._usable is None:
            probe = str(uuid.uuid4())
            request = HttpRequest()
            request.COOKIES[COOKIE] = self.sign(probe, time.time())
            self._usable = request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=MAX_AGE) == probe
        return self._usable


class _Cookies:
    """The process's signer and its memo of verified cookie values."""

    def __init__(self):
        self._lock = threading.Lock()
        # signed value -> (reader id, signed at, first read as (window key, article id) or None)
        self._verified: LRU[str, tuple[str, int, tuple[str, int] | None]] = LRU(VERIFIED_COOKIES)
        self._signer: _Signer | None = None
        self._expires: tuple[int, str] = (0, "")

    def forget(self) -> None:
        with self._lock:
            self._verified.clear()
            self._signer = None

    def signer(self) -> _Signer:
        signer = self._signer
        if signer is None:
            from django.conf import settings

            signer = self._signer = _Signer(settings.SECRET_KEY)
        return signer

    def remember(self, signed: str, reader_id: str, signed_at: int, claim: tuple[str, int] | None = None) -> None:
        with self._lock:
            self._verified.put(signed, (reader_id, signed_at, claim))

    def reader_id(self, request, signed: str) -> str | None:
        """The reader id in the signed cookie value ``signed``; None when forged, expired or not an id."""
        found = self.read(request, signed)
        return found[0] if found else None

    def read(self, request, signed: str) -> tuple[str, int, tuple[str, int] | None] | None:
        """``(reader id, signed at, first read or None)`` from ``signed``; None when forged, expired or not an id."""
        now = time.time()
        with self._lock:
            found = self._verified.get(signed)
        if found is None:
            found = self._verify(request, signed)
            if found is None:
                return None
            self.remember(signed, *found)
        # Django's own test: a cookie is too old when its age exceeds max_age. An expired value
        # may stay in the memo; it is refused here every time, as Django would refuse it.
        if now - found[1] > MAX_AGE:
            return None
        return found

    def _verify(self, request, signed: str) -> tuple[str, int, tuple[str, int] | None] | None:
        signer = self.signer()
        verified = signer.verify(signed) if signer.usable() else None
        if verified is None:
            # Not signed with SECRET_KEY as this module signs: let Django decide (a cookie signed
            # under a fallback key, or the legacy salt, is genuine; a forgery is refused).
            if request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=MAX_AGE) is None:
                return None
            verified = _split(signed)
            if verified is None:
                return None
        value, signed_at = verified
        parsed = _parse_value(value)
        if parsed is None:
            return None
        return parsed[0], signed_at, parsed[1]

    def sign(self, reader_id: str, claim: tuple[str, int] | None = None, *, remember: bool = True) -> str | None:
        """The cookie value for ``reader_id`` (and the first read it carries), signed now.

        ``remember``: put it in the memo, as verified. Not for a reader minted just now: most
        never come back, and their cookies would push out those of readers who do; one who
        returns costs one HMAC, once per process, and is remembered then.

        None when Django's own signing must be used (``cookie_value`` gives what to sign).
        """
        signer = self.signer()
        if not signer.usable():
            return None
        now = time.time()
        signed = signer.sign(cookie_value(reader_id, claim), now)
        if remember:
            self.remember(signed, reader_id, int(now), claim)
        return signed

    def mint(self) -> tuple[str, str | None]:
        """A new reader id and its signed cookie value (None when Django's own signing must be used)."""
        reader_id = new_reader_id()
        return reader_id, self.sign(reader_id, remember=False)

    def expires(self, now: float) -> str:
        """The cookie's ``Expires`` date for one set at ``now``, formatted once per second."""
        second, formatted = self._expires
        if int(now) != second:
            formatted = http_date(int(now) + MAX_AGE)
            self._expires = (int(now), formatted)
        return formatted


def new_reader_id() -> str:
    """A new reader id: a time-ordered (version 7) UUID as text, in the usual spelling.

    The first 48 bits are the time in milliseconds and 74 of the rest are random
    (RFC 9562). Ids minted close together sort together, so the rows keyed by
    them (the decision log's reader index, a window's first write) go in near
    the end of their indexes instead of anywhere: a random key dirties a
    different index page per row. The time it shows is no secret: the cookie
    carries its signing time anyway.
    """
    raw = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70  # version 7
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 9562 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def cookie_value(reader_id: str, claim: tuple[str, int] | None = None) -> str:
    """What the cookie signs: the id, and the first read it carries (``<id>.<window>.<article>``)."""
    return f"{reader_id}.{claim[0]}.{claim[1]}" if claim else reader_id


@dataclass(frozen=True)
class FirstRead:
    """The first read of a reader minted with it, carried in their cookie until the store has it."""

    window_key: str
    article_id: int
    at: int  # epoch seconds: when the cookie naming it was signed


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _parse_value(value: str) -> tuple[str, tuple[str, int] | None] | None:
    """A signed value as ``(reader id, (window key, article id) or None)``; None when it is not one."""
    reader, _, claim = value.partition(".")
    if _CANONICAL_UUID.fullmatch(reader) is None:  # every id minted here is; parsing one costs more
        try:
            reader = str(uuid.UUID(reader))
        except ValueError:
            return None
    if not claim:
        return reader, None
    window_key, _, article = claim.partition(".")
    if not window_key or not article.isdigit() or len(article) > 12:
        return reader, None  # signed by us, so never expected; the id still stands
    return reader, (window_key, int(article))


def _split(signed: str) -> tuple[str, int] | None:
    """The value and signing time in a signed cookie value Django has verified."""
    return _split_payload(signed.rpartition(":")[0])


def _split_payload(payload: str) -> tuple[str, int] | None:
    """``value:timestamp`` as ``(value, epoch seconds)``; None when it is not that."""
    value, sep, stamp = payload.rpartition(":")
    if not sep or not stamp:
        return None
    try:
        return value, signing.b62_decode(stamp)
    except ValueError:
        return None


cookies = _Cookies()


def _settings_changed(*, setting, **kwargs) -> None:
    if setting in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "SIGNING_BACKEND", "SIGNED_COOKIE_LEGACY_SALT_FALLBACK"}:
        cookies.forget()


# Plumbing only (tests override these settings): a memo must not outlive the key it was made with.
setting_changed.connect(_settings_changed, dispatch_uid="masthead.metering.identity.settings_changed")


class RequestReader:
    """The reader behind one request (``request.reader``)."""

    def __init__(self, request):
        self.request = request
        self.minted = False  # a new id, made by this request: the response sets the cookie
        self.rewrite = False  # the cookie's first read is in the store now: the response sets the bare id
        self._held: tuple[str, int] | None = None  # the first read this request's new cookie names
        self._cookie_id: str | None = None
        self._first_read: FirstRead | None = None
        self._cookie_read = False

    def _read_cookie(self) -> None:
        if not self._cookie_read:
            self._cookie_read = True
            signed = self.request.COOKIES.get(COOKIE)
            found = cookies.read(self.request, signed) if signed else None
            if found is not None:
                self._cookie_id, signed_at, claim = found
                if claim is not None:
                    self._first_read = FirstRead(claim[0], claim[1], signed_at)

    @property
    def cookie_id(self) -> str | None:
        """The anonymous id the browser sent, if it was genuine and not expired; never mints one."""
        self._read_cookie()
        return self._cookie_id

    @property
    def first_read(self) -> FirstRead | None:
        """The read the browser's cookie carries for the store, if any (see the module docstring)."""
        self._read_cookie()
        return None if self.rewrite else self._first_read

    def known_anonymous(self) -> ReaderId | None:
        """The browser's anonymous id if it sent a genuine one; never mints one."""
        return ReaderId("cookie", self.cookie_id) if self.cookie_id else None

    def anonymous(self) -> ReaderId:
        """The browser's anonymous id, minting one (set on the response) when it has none."""
        if self.cookie_id is None:
            self._cookie_id = new_reader_id()
            self.minted = True
        return ReaderId("cookie", self._cookie_id)

    def hold_first_read(self, window_key: str, article_id: int) -> None:
        """Carry the first read of the id minted by this request in its cookie, instead of the store."""
        if not self.minted:
            raise ValueError("only a reader minted by this request has its first read held in the cookie")
        self._held = (window_key, article_id)

    def first_read_recorded(self) -> None:
        """The cookie's first read is in the store (or stale): set the cookie again, with the bare id."""
        self.rewrite = True

    def signed_cookie(self) -> tuple[str, str | None]:
        """What the response's cookie carries (the id, and the first read held for it), and that signed.

        The signed value is None when Django's own signing must be used.
        """
        return cookie_value(self._cookie_id, self._held), cookies.sign(
            self._cookie_id, self._held, remember=not self.minted
        )

    def current(self) -> ReaderId:
        """The account when logged in, otherwise the anonymous id."""
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return account_reader(user.pk)
        return self.anonymous()


class AppReader:
    """The reader behind an API request (``request.reader`` there): an app install, never a cookie.

    ``device_id`` is the anonymous device the app registered (``d:<id>``), or
    None for an app signed in to an account without one. It offers what the
    paywall's gate asks of ``RequestReader``: an app never mints an id, never
    has a browser cookie to merge, and its anonymous id is its device's.
    """

    minted = False
    cookie_id = None  # an app has no browser cookie: nothing to merge on a decision
    first_read = None  # nor a first read carried in one

    def __init__(self, request, device_id: str | None):
        self.request = request
        self.device_id = device_id

    def anonymous(self) -> ReaderId | None:
        """The device's id; None when the app presented no device."""
        return ReaderId("device", self.device_id) if self.device_id else None

    known_anonymous = anonymous

    def current(self) -> ReaderId | None:
        """The account when signed in, otherwise the device (None when neither)."""
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return account_reader(user.pk)
        return self.anonymous()


class ReaderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reader = request.reader = RequestReader(request)
        response = self.get_response(request)
        if (reader.minted or reader.rewrite) and COOKIE not in response.cookies:
            value, signed = reader.signed_cookie()
            secure = request.is_secure()
            if signed is None:
                options = {"max_age": MAX_AGE, "httponly": True, "samesite": "Lax", "secure": secure}
                response.set_signed_cookie(COOKIE, value, salt=SALT, **options)
            else:
                response.cookies[COOKIE] = ReaderMorsel(signed, cookies.expires(time.time()), secure=secure)
        return response


class ReaderMorsel(Morsel):
    """The reader cookie as ``set_cookie`` would make it, with its ``Set-Cookie`` line written once.

    Every new reader's response carries one, and ``SimpleCookie`` checks and
    formats each attribute on every call. The value (a signed id: letters,
    digits and ``-_.:``) never needs quoting; the attributes are the middleware's
    fixed ones. ``test_reader_cookie_is_set_once`` holds it to Django's output.
    """

    # Morsel's own attributes, all empty, as ``Morsel()`` starts them (copied, not built per cookie).
    _EMPTY = dict.fromkeys(Morsel._reserved, "")

    def __init__(self, signed: str, expires: str, *, secure: bool):
        # What ``Morsel()`` and ``set()`` do, without checking a key that is always ``COOKIE``.
        dict.update(self, self._EMPTY)
        self._key, self._value, self._coded_value = COOKIE, signed, signed
        dict.update(self, {"expires": expires, "httponly": True, "max-age": MAX_AGE, "path": "/", "samesite": "Lax"})
        if secure:
            dict.__setitem__(self, "secure", True)
        self._line = f"{COOKIE}={signed}; expires={expires}; HttpOnly; Max-Age={MAX_AGE}; Path=/; SameSite=Lax" + (
            "; Secure" if secure else ""
        )

    def OutputString(self, attrs=None):  # noqa: N802 - Morsel's name
        line = self.__dict__.get("_line")  # gone from a copy or an unpickled one, which format as usual
        return line if line is not None and attrs is None else super().OutputString(attrs)
