"""Signed links in newsletter mail: confirming a signup (expires) and unsubscribing (never expires).

Both are signed with the site's SECRET_KEY and a salt of their own, so one kind of token never passes for the
other. Neither carries an email address in the clear.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "masthead.newsletters.confirm"
UNSUBSCRIBE_SALT = "masthead.newsletters.unsubscribe"


class BadToken(Exception):
    """The link was tampered with, or has expired (``expired`` says which)."""

    def __init__(self, *, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def confirm_token(signup_ids: list[int]) -> str:
    """A token confirming these pending signups, good for ``NEWSLETTER_CONFIRM_HOURS``."""
    return signing.dumps(sorted(signup_ids), salt=CONFIRM_SALT, compress=True)


def read_confirm_token(token: str) -> list[int]:
    """The signup ids in ``token``; raises ``BadToken`` when it was altered or is too old."""
    try:
        ids = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.NEWSLETTER_CONFIRM_HOURS * 3600)
    except signing.SignatureExpired:
        raise BadToken(expired=True) from None
    except signing.BadSignature:
        raise BadToken() from None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise BadToken()
    return ids


def unsubscribe_token(signup_id: int) -> str:
    """A token that unsubscribes one signup. It never expires: an old issue's link must still work."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(signup_id))


def read_unsubscribe_token(token: str) -> int:
    """The signup id in ``token``; raises ``BadToken`` when it was altered."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        raise BadToken() from None
    if not value.isdigit():
        raise BadToken()
    return int(value)
