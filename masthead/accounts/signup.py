"""Creating an account in the middle of checkout, without leaving the checkout page."""

from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def account_create_for_checkout(*, email: str, password: str):
    """A new account for ``email``, its address not yet verified (allauth sends the confirmation after checkout).

    Raises ValueError with a message for the reader when the address is taken or
    invalid, or the password too weak.
    """
    from allauth.account.models import EmailAddress

    User = get_user_model()
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError("Enter a valid email address.") from None
    if User.objects.filter(email__iexact=email).exists() or EmailAddress.objects.filter(email__iexact=email).exists():
        raise ValueError("An account with this email address already exists. Log in to subscribe.")
    user = User(email=email)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user
