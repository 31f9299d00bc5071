"""Read-only questions about newsletters: what a reader may sign up to, an issue's delivery figures, exports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from masthead.newsletters import rules
from masthead.newsletters.models import Audience, Delivery, Newsletter, Signup


@dataclass(frozen=True)
class NewsletterPreference:
    """One newsletter as a reader sees it on their account page (and in the apps)."""

    slug: str
    name: str
    description: str
    cadence: str
    audience: str  # everyone | subscribers
    subscribed: bool
    available: bool  # whether the reader may subscribe (False: a subscribers-only list, and not entitled)


def is_entitled(user) -> bool:
    """Whether ``user`` may read everything right now (billing decides); False for anonymous readers."""
    from masthead.billing.selectors import reader_standing

    return reader_standing(user).entitled


def has_verified_email(user) -> bool:
    """Whether ``user``'s login address is verified, so they may subscribe it without a confirmation email."""
    from allauth.account.models import EmailAddress

    if user is None or not user.is_authenticated:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def active_newsletters():
    return Newsletter.objects.filter(active=True).order_by("position", "name")


def reader_signups(user) -> dict[int, Signup]:
    """``user``'s signups by newsletter id: those under their account, and those for their address."""
    from django.db.models import Q

    found = Signup.objects.filter(Q(reader=user) | Q(email=user.email.lower()))
    by_newsletter: dict[int, Signup] = {}
    for signup in found:
        # The row under the account wins over an older anonymous one for the same newsletter.
        if signup.newsletter_id not in by_newsletter or signup.reader_id == user.pk:
            by_newsletter[signup.newsletter_id] = signup
    return by_newsletter


def reader_preferences(user) -> list[NewsletterPreference]:
    """Every active newsletter, with whether ``user`` receives it and may sign up to it, in display order."""
    entitled = is_entitled(user)
    signups = reader_signups(user)
    preferences = []
    for newsletter in active_newsletters():
        signup = signups.get(newsletter.pk)
        preferences.append(
            NewsletterPreference(
                slug=newsletter.slug,
                name=newsletter.name,
                description=newsletter.description,
                cadence=newsletter.cadence,
                audience=newsletter.audience,
                subscribed=signup is not None and signup.status == Signup.Status.CONFIRMED,
                available=rules.may_receive(newsletter.audience, entitled=entitled),
            )
        )
    return preferences


def public_newsletters() -> list[Newsletter]:
    """The newsletters anyone may sign up to by email (subscribers-only lists need an account)."""
    return list(active_newsletters().filter(audience=Audience.EVERYONE))


@dataclass(frozen=True)
class IssueStats:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed + self.suppressed


def issue_stats(issue) -> IssueStats:
    """How many deliveries of ``issue`` are queued, sent, failed and suppressed, in one query."""
    counts = dict(
        Delivery.objects.filter(issue=issue).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return IssueStats(**{status: counts.get(status, 0) for status in ("queued", "sent", "failed", "suppressed")})


def export_for(user) -> list[dict]:
    """The reader's signups, for their data export."""
    return [
        {
            "newsletter": signup.newsletter.name,
            "email": signup.email,
            "status": signup.status,
            "signed_up_at": signup.created_at.isoformat(),
            "confirmed_at": signup.confirmed_at.isoformat() if signup.confirmed_at else None,
            "unsubscribed_at": signup.unsubscribed_at.isoformat() if signup.unsubscribed_at else None,
        }
        for signup in sorted(reader_signups(user).values(), key=lambda s: s.newsletter_id)
    ]
