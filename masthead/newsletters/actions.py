"""Every change to newsletters goes through here: signups, confirmations, unsubscribes, preferences,
suppressions, and scheduling issues. Views, the admin, the API, webhooks and the worker all call these.

Sending itself (preparing deliveries, claiming and sending batches) is in ``sending.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from masthead.lib import clock
from masthead.newsletters import rules, selectors, tokens
from masthead.newsletters.models import Issue, Newsletter, Signup, Suppression
from masthead.newsletters.selectors import NewsletterPreference

logger = logging.getLogger(__name__)


class PreferenceError(ValueError):
    """A reader asked for a newsletter they may not have (unknown, inactive, or subscribers only)."""

    def __init__(self, slug: str, reason: str):
        super().__init__(f"{slug}: {reason}")
        self.slug = slug
        self.reason = reason


class IssueRefused(ValueError):
    """An issue cannot be scheduled, sent or changed now; the message says why, for the editor."""


def _normal(email: str) -> str:
    return email.strip().lower()


# --- Signups ---------------------------------------------------------------------------------------------


def signup_request(*, email: str, newsletters: Iterable[Newsletter], source: str) -> list[Signup]:
    """Ask to receive ``newsletters`` at ``email``: double opt-in. Returns the signups now awaiting confirmation.

    Nothing is sent to the address but one confirmation email (after commit) whose signed link confirms them.
    Only newsletters open to everyone are accepted (a subscribers-only list needs an entitled account); others
    are ignored. An address already confirmed stays confirmed, and gets the same email, so the response never
    tells a stranger whether an address is subscribed.
    """
    email = _normal(email)
    now = clock.now()
    wanted = [n for n in newsletters if n.active and rules.may_receive(n.audience, entitled=False)]
    if not wanted:
        return []
    with transaction.atomic():
        signups = []
        for newsletter in wanted:
            signup, created = Signup.objects.get_or_create(
                newsletter=newsletter, email=email, defaults={"created_at": now, "source": source}
            )
            if not created and signup.status == Signup.Status.UNSUBSCRIBED:
                Signup.objects.filter(pk=signup.pk).update(status=Signup.Status.PENDING)
                signup.status = Signup.Status.PENDING
            signups.append(signup)
        ids = [signup.pk for signup in signups]
        transaction.on_commit(functools.partial(_enqueue_confirmation, email, ids), robust=True)
    return [signup for signup in signups if signup.status == Signup.Status.PENDING]


def _enqueue_confirmation(email: str, signup_ids: list[int]) -> None:
    from masthead.newsletters.tasks import send_confirmation

    send_confirmation.enqueue(email=email, signup_ids=signup_ids)


def signup_confirm(*, token: str) -> list[Signup]:
    """Confirm the signups a confirmation link names; returns them (already confirmed ones included).

    Raises ``tokens.BadToken`` when the link was altered or is older than ``NEWSLETTER_CONFIRM_HOURS``.
    """
    ids = tokens.read_confirm_token(token)
    now = clock.now()
    with transaction.atomic():
        Signup.objects.filter(pk__in=ids, status=Signup.Status.PENDING).update(
            status=Signup.Status.CONFIRMED, confirmed_at=now, unsubscribed_at=None
        )
        return list(Signup.objects.filter(pk__in=ids).select_related("newsletter"))


def signup_unsubscribe(*, signup: Signup, source: str = "link") -> Signup:
    """Stop sending ``signup``'s newsletter to its address; returns it. Unsubscribing twice changes nothing."""
    if signup.status != Signup.Status.UNSUBSCRIBED:
        Signup.objects.filter(pk=signup.pk).update(status=Signup.Status.UNSUBSCRIBED, unsubscribed_at=clock.now())
        signup.refresh_from_db()
        logger.info("signup %s unsubscribed (%s)", signup.pk, source)
    return signup


def reader_subscribe(*, reader, newsletter: Newsletter, source: str) -> Signup:
    """Subscribe a signed-in reader at once (one click): their address is verified, so no confirmation email.

    Raises ``PreferenceError`` when the newsletter is inactive or for subscribers and the reader is not entitled,
    or when the reader's address is not verified yet.
    """
    if not newsletter.active:
        raise PreferenceError(newsletter.slug, "this newsletter is not taking signups")
    if not rules.may_receive(newsletter.audience, entitled=selectors.is_entitled(reader)):
        raise PreferenceError(newsletter.slug, "this newsletter is for subscribers")
    if not selectors.has_verified_email(reader):
        raise PreferenceError(newsletter.slug, "confirm your email address first")
    return _confirmed(reader, newsletter, source, clock.now())


def _confirmed(reader, newsletter: Newsletter, source: str, now: dt.datetime) -> Signup:
    email = _normal(reader.email)
    signup = Signup.objects.filter(newsletter=newsletter, email=email).first()
    if signup is None:
        try:
            with transaction.atomic():
                return Signup.objects.create(
                    newsletter=newsletter,
                    email=email,
                    reader=reader,
                    status=Signup.Status.CONFIRMED,
                    source=source,
                    created_at=now,
                    confirmed_at=now,
                )
        except IntegrityError:  # a second click at the same moment made it first
            signup = Signup.objects.get(newsletter=newsletter, email=email)
    if signup.status != Signup.Status.CONFIRMED or signup.reader_id != reader.pk:
        Signup.objects.filter(pk=signup.pk).update(
            status=Signup.Status.CONFIRMED, reader=reader, confirmed_at=now, unsubscribed_at=None
        )
        signup.refresh_from_db()
    return signup


def newsletter_preferences_set(*, user, subscribed: set[str] | frozenset[str], actor) -> list[NewsletterPreference]:
    """Subscribe ``user`` to exactly the newsletters whose slugs are in ``subscribed``; unsubscribe the rest.

    Returns the new preferences. Raises ``PreferenceError`` naming the first slug that is unknown or unavailable
    to the reader (subscribers only), before changing anything, or when a subscription is asked for while the
    reader's address is unverified. The account page's form and the API both call this.
    """
    if actor.pk != user.pk and not actor.is_staff:
        raise PermissionError("only the reader or staff may change a reader's newsletters")
    newsletters = {n.slug: n for n in selectors.active_newsletters()}
    entitled = selectors.is_entitled(user)
    for slug in sorted(subscribed):
        if slug not in newsletters:
            raise PreferenceError(slug, "there is no such newsletter")
        if not rules.may_receive(newsletters[slug].audience, entitled=entitled):
            raise PreferenceError(slug, "this newsletter is for subscribers")
    current = selectors.reader_signups(user)
    now = clock.now()
    with transaction.atomic():
        for slug, newsletter in newsletters.items():
            signup = current.get(newsletter.pk)
            receiving = signup is not None and signup.status == Signup.Status.CONFIRMED
            if slug in subscribed and not receiving:
                if not selectors.has_verified_email(user):
                    raise PreferenceError(slug, "confirm your email address first")
                _confirmed(user, newsletter, "account", now)
            elif slug not in subscribed and signup is not None and signup.status != Signup.Status.UNSUBSCRIBED:
                signup_unsubscribe(signup=signup, source="account")
    return selectors.reader_preferences(user)


def reader_newsletters_forget(*, reader) -> int:
    """For account deletion: delete the reader's signups and blank their address on past deliveries.

    Returns how many signups were deleted. Delivery rows stay (an issue's figures must not change) without the
    address. Suppressions stay: a bounced or complaining address must never be mailed again, by anyone.
    """
    from django.db.models import Q

    from masthead.newsletters.models import Delivery

    email = _normal(reader.email)
    signups = Signup.objects.filter(Q(reader=reader) | Q(email=email))
    Delivery.objects.filter(Q(signup__in=signups) | Q(email=email)).update(email="", signup=None)
    deleted, _ = signups.delete()
    return deleted


# --- Suppression -----------------------------------------------------------------------------------------


def suppression_add(*, email: str, reason: str, detail: str = "", provider: str = "") -> Suppression:
    """Never send a newsletter to ``email`` again; returns its suppression (the first reason is kept)."""
    email = _normal(email)
    suppression, created = Suppression.objects.get_or_create(
        email=email,
        defaults={"reason": reason, "detail": detail[:300], "provider": provider[:40], "created_at": clock.now()},
    )
    if created:
        logger.info("suppressed %s: %s", email, reason)
    return suppression


# --- Issues ----------------------------------------------------------------------------------------------


def issue_schedule(*, issue: Issue, at: dt.datetime | None, actor) -> Issue:
    """Send ``issue`` at ``at`` (aware), or as soon as a worker can when ``at`` is None; returns it.

    Raises ``IssueRefused`` when the issue has been sent (or is sending), has no stories, or its newsletter is
    inactive. Scheduling a scheduled issue again moves it.
    """
    from masthead.newsletters import compose

    now = clock.now()
    if not issue.editable:
        raise IssueRefused("This issue has already been sent, or is being sent.")
    if not issue.newsletter.active:
        raise IssueRefused("Its newsletter is inactive: activate the newsletter first.")
    if not compose.issue_articles(issue):
        raise IssueRefused("The issue has no stories: choose some, or the latest stories of a section.")
    when = max(at, now) if at is not None else now
    updated = Issue.objects.filter(pk=issue.pk, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]).update(
        status=Issue.Status.SCHEDULED, send_at=when
    )
    if not updated:
        raise IssueRefused("This issue has already been sent, or is being sent.")
    issue.refresh_from_db()
    logger.info("issue %s scheduled for %s by %s", issue.pk, when.isoformat(), getattr(actor, "pk", actor))
    if when <= now:
        transaction.on_commit(functools.partial(_enqueue_prepare, issue.pk), robust=True)
    return issue


def _enqueue_prepare(issue_id: int) -> None:
    from masthead.newsletters.tasks import prepare_issue

    prepare_issue.enqueue(issue_id=issue_id)


def issue_unschedule(*, issue: Issue, actor) -> Issue:
    """Take a scheduled issue back to draft; raises ``IssueRefused`` once sending has started."""
    if not Issue.objects.filter(pk=issue.pk, status=Issue.Status.SCHEDULED).update(
        status=Issue.Status.DRAFT, send_at=None
    ):
        raise IssueRefused("Only a scheduled issue can be taken back; this one is not scheduled.")
    issue.refresh_from_db()
    return issue


def issue_send_test(*, issue: Issue, to: str, actor) -> None:
    """Send ``issue`` as it stands now to ``to`` (an editor), marked as a test; returns None.

    Its unsubscribe link is a dummy: a test must never unsubscribe anyone. Goes through the configured mail
    transport at once, so the editor sees an error while still on the page.
    """
    from django.core.mail import mailers

    from masthead.newsletters import compose

    rendered = compose.render_issue(issue)
    message = compose.message(
        rendered,
        newsletter=issue.newsletter,
        to=to,
        unsubscribe_url=compose.absolute("/newsletters/unsubscribe/test/"),
        subject_prefix="[Test] ",
    )
    mailers.default.send_messages([message])
    logger.info("test of issue %s sent to %s by %s", issue.pk, to, getattr(actor, "pk", actor))


# --- Automatic digests -----------------------------------------------------------------------------------


def digests_run(*, now: dt.datetime | None = None) -> list[Issue]:
    """Create and schedule the digest of every newsletter whose digest is due; returns the issues made.

    Each due time is claimed by a conditional UPDATE that moves ``digest_next_at`` on, so one digest is made
    however many workers run this at once. A digest with no story newer than the previous digest is skipped.
    """
    from masthead.lib.dates import publication_zone

    now = now or clock.now()
    made = []
    zone = publication_zone()
    for newsletter in Newsletter.objects.filter(active=True, digest_enabled=True):
        upcoming = rules.next_digest_at(
            now, at=newsletter.digest_time, weekdays=[int(d) for d in newsletter.digest_weekdays], zone=zone
        )
        due = newsletter.digest_next_at
        if due is None:  # a newly enabled digest: the first is the next due time
            Newsletter.objects.filter(pk=newsletter.pk, digest_next_at__isnull=True).update(digest_next_at=upcoming)
            continue
        if due > now:
            continue
        claimed = Newsletter.objects.filter(pk=newsletter.pk, digest_next_at=due).update(
            digest_next_at=upcoming, digest_last_at=now
        )
        if not claimed:
            continue  # another worker made this digest
        issue = _digest_issue(newsletter, since=newsletter.digest_last_at, now=now)
        if issue is not None:
            made.append(issue)
    return made


def _digest_issue(newsletter: Newsletter, *, since: dt.datetime | None, now: dt.datetime) -> Issue | None:
    from masthead.lib.dates import format_newsroom_date
    from masthead.newsletters import compose

    sections = list(newsletter.digest_sections.all())
    with transaction.atomic():
        issue = Issue.objects.create(
            newsletter=newsletter,
            subject=f"{newsletter.name}: {format_newsroom_date(now)}",
            kind=Issue.Kind.DIGEST,
            latest_count=newsletter.digest_count,
        )
        issue.sections.set(sections)
        fresh = [a for a in compose.issue_articles(issue) if since is None or (a.published_at or now) > since]
        if not fresh:
            issue.delete()
            logger.info("digest of %s skipped: nothing new", newsletter.slug)
            return None
        return issue_schedule(issue=issue, at=None, actor="digest")
