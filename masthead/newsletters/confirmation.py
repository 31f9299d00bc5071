"""The double opt-in email: one message with a signed, expiring link that confirms the signups it names."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from masthead.newsletters import compose, tokens
from masthead.newsletters.models import Signup


def send(*, email: str, signup_ids: list[int]) -> bool:
    """Send the confirmation for ``signup_ids`` to ``email``; returns False (sending nothing) when none of them
    belongs to that address any more."""
    signups = list(Signup.objects.filter(pk__in=signup_ids, email=email).select_related("newsletter"))
    if not signups:
        return False
    token = tokens.confirm_token([signup.pk for signup in signups])
    context = {
        "publication_name": settings.PUBLICATION_NAME,
        "newsletters": [signup.newsletter for signup in signups],
        "confirm_url": compose.absolute(reverse("newsletters:confirm", args=[token])),
        "hours": settings.NEWSLETTER_CONFIRM_HOURS,
        "site_url": settings.SITE_URL,
    }
    text = re.sub(r"\n{3,}", "\n\n", render_to_string("newsletters/email/confirm.txt", context)).strip() + "\n"
    message = EmailMultiAlternatives(
        subject=f"{settings.PUBLICATION_NAME}: confirm your newsletter signup",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
    )
    message.attach_alternative(render_to_string("newsletters/email/confirm.html", context), "text/html")
    message.send(using="default")
    return True
