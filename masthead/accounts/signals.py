"""allauth's password events, wired to the accounts' own actions.

allauth changes and resets passwords in its own views and tells the project
through these signals: the only place to hear of it. A new password signs every
app out (their tokens are revoked), as it signs out every other browser.
"""

from __future__ import annotations

from allauth.account.signals import password_changed, password_reset, password_set
from django.dispatch import receiver


@receiver(password_changed, dispatch_uid="masthead.accounts.password_changed")
@receiver(password_reset, dispatch_uid="masthead.accounts.password_reset")
@receiver(password_set, dispatch_uid="masthead.accounts.password_set")
def _new_password(sender, request=None, user=None, **kwargs) -> None:
    from masthead.accounts.tokens import app_tokens_revoke_all

    if user is not None:
        app_tokens_revoke_all(reader=user)
