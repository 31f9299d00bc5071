"""Sending an issue: prepare its deliveries, then send them in batches, resumably, on any number of workers.

1. ``prepare(issue_id)`` claims a due issue, renders it once, and streams its audience (confirmed signups, in id
   order, a page at a time: never the whole list in memory) into ``Batch`` rows of ``NEWSLETTER_BATCH_SIZE``
   ``Delivery`` rows each. Suppressed addresses get a ``suppressed`` delivery; a subscribers-only newsletter
   skips readers who are not entitled now. Each page commits with ``Issue.prepared_through``, so a crash
   while preparing resumes where it stopped.
2. ``send_batch(batch_id)`` claims one batch with a conditional UPDATE, opens ONE connection to the configured
   mail transport, and sends its queued deliveries one message at a time, marking each ``sent`` right after
   the server accepted it.

RESUMING, AND THE ONE WINDOW LEFT: a worker that dies mid-batch leaves its claim. Once the lease
(``LEASE``) runs out, another worker claims the batch and sends only the deliveries still ``queued``: nobody
already marked ``sent`` gets the issue twice. The one message that can go twice is the one accepted by the server
in the instant between its acceptance and its row's update (a crash exactly there). The other order (mark, then
send) would lose that message instead; a newsletter sent twice to one reader in a rare crash is the smaller harm.
A worker renews its lease as it goes and stops as soon as the claim is no longer its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.crypto import get_random_string

from masthead.lib import clock
from masthead.newsletters import compose
from masthead.newsletters.models import Batch, Delivery, Issue, Signup, Suppression

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)  # a claim older than this belongs to a dead worker
RENEW_EVERY = 50  # messages between lease renewals
RENEW_AFTER = LEASE / 5  # and at least this often, however slowly the server answers
MAX_ATTEMPTS = 5  # claims of one batch before its remaining deliveries are given up as failed


class TransportDown(Exception):
    """The mail transport failed as a whole (connection lost, server busy): retry the batch later."""


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    interrupted: bool = False


# --- Preparing -------------------------------------------------------------------------------------------


def due_issues(now: dt.datetime) -> list[int]:
    """Issues that a worker should prepare: scheduled and due, or preparing under a lapsed claim."""
    stale = now - LEASE
    return list(
        Issue.objects.filter(
            Q(status=Issue.Status.SCHEDULED, send_at__lte=now) | Q(status=Issue.Status.PREPARING, claimed_at__lt=stale)
        ).values_list("pk", flat=True)
    )


def prepare(issue_id: int, *, now: dt.datetime | None = None) -> list[int]:
    """Prepare ``issue_id`` if it is due and nobody else is; returns the ids of the batches still to send.

    Returns ``[]`` when another worker holds the issue, or it is not due.
    """
    now = now or clock.now()
    claimed = Issue.objects.filter(
        Q(pk=issue_id)
        & (
            Q(status=Issue.Status.SCHEDULED, send_at__lte=now)
            | Q(status=Issue.Status.PREPARING, claimed_at__lt=now - LEASE)
        )
    ).update(status=Issue.Status.PREPARING, claimed_at=now)
    if not claimed:
        return []
    issue = Issue.objects.select_related("newsletter").get(pk=issue_id)
    if not issue.html_body and (refused := _not_sendable(issue)):
        # Nothing written yet: back to a draft the editor can fix and schedule again, rather than a send of an
        # inactive newsletter or of an issue whose stories were all unpublished since it was scheduled.
        Issue.objects.filter(pk=issue.pk, status=Issue.Status.PREPARING).update(
            status=Issue.Status.DRAFT, send_at=None, claimed_at=None
        )
        logger.warning("issue %s not sent, back to draft: %s", issue.pk, refused)
        return []
    if not issue.html_body:
        rendered = compose.render_issue(issue)
        issue.html_body, issue.text_body, issue.started_at = rendered.html, rendered.text, now
        Issue.objects.filter(pk=issue.pk).update(html_body=rendered.html, text_body=rendered.text, started_at=now)
    size = settings.NEWSLETTER_BATCH_SIZE
    number = Batch.objects.filter(issue=issue).count()
    after = issue.prepared_through
    while True:
        page = list(
            Signup.objects.filter(newsletter_id=issue.newsletter_id, status=Signup.Status.CONFIRMED, pk__gt=after)
            .order_by("pk")
            .values_list("pk", "email", "reader_id")[:size]
        )
        if not page:
            break
        after = page[-1][0]
        with transaction.atomic():
            _write_batch(issue, number, page, after)
        number += 1
    Issue.objects.filter(pk=issue.pk, status=Issue.Status.PREPARING).update(status=Issue.Status.SENDING)
    finish_if_done(issue.pk, now=clock.now())
    logger.info("issue %s prepared: %s batches", issue.pk, number)
    return list(Batch.objects.filter(issue=issue, status=Batch.Status.PENDING).values_list("pk", flat=True))


def _not_sendable(issue: Issue) -> str:
    """Why ``issue`` cannot start sending now, or "" when it can."""
    if not issue.newsletter.active:
        return "its newsletter is inactive"
    if not compose.issue_articles(issue):
        return "it has no live stories"
    return ""


def _write_batch(issue: Issue, number: int, page: list[tuple[int, str, int | None]], after: int) -> None:
    emails = [email for _, email, _ in page]
    suppressed = set(Suppression.objects.filter(email__in=emails).values_list("email", flat=True))
    entitled = (
        _entitled_readers({reader for _, _, reader in page if reader}) if issue.newsletter.for_subscribers else None
    )
    batch = Batch.objects.create(issue=issue, number=number)
    rows = []
    for signup_id, email, reader_id in page:
        if entitled is not None and reader_id not in entitled:
            continue  # subscribers only, and this reader is not (or no longer) entitled
        status = Delivery.Status.SUPPRESSED if email in suppressed else Delivery.Status.QUEUED
        rows.append(Delivery(issue=issue, batch=batch, signup_id=signup_id, email=email, status=status))
    # ignore_conflicts: an address already on this issue (a resumed preparation) is not written twice.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    Issue.objects.filter(pk=issue.pk).update(prepared_through=after, claimed_at=clock.now())


def _entitled_readers(reader_ids: set[int]) -> set[int]:
    """Which of ``reader_ids`` are entitled now, by billing's own rule, with one query for the whole page."""
    from masthead.billing.entitlement import SubscriptionFacts, standing
    from masthead.billing.models import Subscription

    facts: dict[int, list[SubscriptionFacts]] = {reader: [] for reader in reader_ids}
    rows = Subscription.objects.filter(reader_id__in=reader_ids).values_list(
        "reader_id", "status", "paid_through", "cancel_at_period_end"
    )
    for reader, status, paid_through, cancel in rows:
        facts[reader].append(SubscriptionFacts(status, paid_through, cancel))
    now = clock.now()
    grace = settings.BILLING_GRACE_DAYS
    return {reader for reader, found in facts.items() if standing(found, now, grace_days=grace).entitled}


# --- Sending ---------------------------------------------------------------------------------------------


def claim(batch_id: int, *, now: dt.datetime) -> str | None:
    """Claim ``batch_id`` for this worker; returns the claim, or None when another worker holds it or it is done.

    One conditional UPDATE: of any number of workers asking at once, exactly one sees a row updated.
    """
    token = get_random_string(32)
    claimable = Q(status=Batch.Status.PENDING) | Q(status=Batch.Status.SENDING, claimed_at__lt=now - LEASE)
    updated = Batch.objects.filter(Q(pk=batch_id) & claimable).update(
        status=Batch.Status.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
    )
    return token if updated else None


def send_batch(batch_id: int, *, now: dt.datetime | None = None) -> BatchResult | None:
    """Send the queued deliveries of one batch over one connection; returns what happened, or None when the batch
    was not ours to send (held by another worker, or done)."""
    now = now or clock.now()
    token = claim(batch_id, now=now)
    if token is None:
        return None
    batch = Batch.objects.select_related("issue__newsletter").get(pk=batch_id)
    issue = batch.issue
    queued = list(
        Delivery.objects.filter(batch=batch, status=Delivery.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", "email", "signup_id")
    )
    result = BatchResult()
    try:
        _send(issue, batch, token, queued, result)
    except TransportDown as exc:
        result.interrupted = True
        _release(batch, token, str(exc))
        return result
    Batch.objects.filter(pk=batch.pk, claim=token).update(status=Batch.Status.DONE, finished_at=clock.now())
    finish_if_done(issue.pk, now=clock.now())
    return result


def _send(issue: Issue, batch: Batch, token: str, queued: list, result: BatchResult) -> None:
    if not queued:
        return
    emails = [email for _, email, _ in queued]
    suppressed = set(Suppression.objects.filter(email__in=emails).values_list("email", flat=True))
    # Readers who unsubscribed after the issue was prepared are not sent it, nor, on a subscribers-only
    # newsletter, readers whose subscription ended since (a batch may go out long after it was prepared).
    signups = list(
        Signup.objects.filter(pk__in=[s for _, _, s in queued if s]).values_list("pk", "status", "reader_id")
    )
    gone = {pk for pk, status, _ in signups if status != Signup.Status.CONFIRMED}
    if issue.newsletter.for_subscribers:
        readers = {pk: reader for pk, _, reader in signups}
        entitled = _entitled_readers({reader for reader in readers.values() if reader})
        gone |= {pk for pk, reader in readers.items() if reader not in entitled}
    rendered = compose.Rendered(subject=issue.subject, html=issue.html_body, text=issue.text_body)
    newsletter = issue.newsletter
    connection = mailers.default
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        raise TransportDown(f"cannot connect: {exc}") from exc
    renewed = time.monotonic()
    try:
        for count, (delivery_id, email, signup_id) in enumerate(queued, 1):
            if email in suppressed or signup_id in gone or signup_id is None:
                _mark(delivery_id, Delivery.Status.SUPPRESSED, error="suppressed" if email in suppressed else "left")
                result.suppressed += 1
                continue
            mail = compose.message(
                rendered, newsletter=newsletter, to=email, unsubscribe_url=compose.unsubscribe_url(signup_id)
            )
            if _deliver(connection, mail, delivery_id):
                result.sent += 1
            else:
                result.failed += 1
            # Renew by count and by time: a server answering slowly must not let the lease lapse under a live
            # worker (another would then claim the batch and send its queued rows too).
            if count % RENEW_EVERY == 0 or time.monotonic() - renewed > RENEW_AFTER.total_seconds():
                if not _renew(batch, token):
                    raise TransportDown("the batch's claim was taken over; stopping")
                renewed = time.monotonic()
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the messages are sent; a failed QUIT changes nothing
            logger.warning("closing the mail connection failed", exc_info=True)


def _deliver(connection, mail, delivery_id: int) -> bool:
    """Send one message on the open connection and record the outcome; True when the server accepted it.

    Raises ``TransportDown`` when the failure is the transport's, not this recipient's.
    """
    try:
        accepted = _transmit(connection, mail)
    except smtplib.SMTPRecipientsRefused as exc:
        _mark(delivery_id, Delivery.Status.FAILED, error=_reason(exc))
        return False
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:  # a permanent refusal of this message
            _mark(delivery_id, Delivery.Status.FAILED, error=_reason(exc))
            return False
        raise TransportDown(f"temporary failure {exc.smtp_code}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransportDown(str(exc)) from exc
    except ValueError as exc:  # this address cannot be written (e.g. a non-ASCII local part): its failure alone
        _mark(delivery_id, Delivery.Status.FAILED, error=_reason(exc))
        return False
    except Exception as exc:
        if _is_recipient_refusal(exc):
            _mark(delivery_id, Delivery.Status.FAILED, error=_reason(exc))
            return False
        raise TransportDown(str(exc)) from exc
    if not accepted:
        _mark(delivery_id, Delivery.Status.FAILED, error="not accepted")
        return False
    record_sent(delivery_id, str(mail.extra_headers["Message-ID"]))
    return True


def _transmit(connection, mail) -> int:
    """Send ``mail`` on the open ``connection``; returns 1 when the server accepted it.

    With Django's SMTP backend the message is written straight onto the SMTP session it opened (same server,
    TLS and login): the backend's own path re-parses both addresses with the standard library's slow address
    parser on every message, which at newsletter volume costs more than the SMTP conversation. Addresses that
    are not plain ASCII (an internationalised domain needs IDNA) take the backend's path, as every other
    transport (the mailbox, anymail's providers) always does.
    """
    session = getattr(connection, "connection", None)
    if isinstance(connection, SMTPBackend) and isinstance(session, smtplib.SMTP):
        sender = mail.envelope_sender
        if sender.isascii() and all(to.isascii() for to in mail.to):
            session.sendmail(sender, mail.to, compose.WireMessage(mail).as_bytes())
            return 1
    return connection.send_messages([mail])


def record_sent(delivery_id: int, message_id: str) -> None:
    """Mark one delivery sent, right after the server accepted it (its own write: it survives a crash after).

    The hottest line of a send (once per recipient), so it is one prepared UPDATE without the ORM's query
    building; it commits on its own (autocommit).
    """
    table = connection.ops.quote_name(Delivery._meta.db_table)
    sent_at = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, message_id = %s WHERE id = %s AND status = %s",  # noqa: S608 - table name from the model
            [Delivery.Status.SENT, sent_at, message_id[:255], delivery_id, Delivery.Status.QUEUED],
        )


def _mark(delivery_id: int, status: str, *, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED).update(status=status, error=error[:300])


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _is_recipient_refusal(exc: Exception) -> bool:
    try:
        from anymail.exceptions import AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        return False
    return isinstance(exc, AnymailRecipientsRefused)


def _renew(batch: Batch, token: str) -> bool:
    return bool(Batch.objects.filter(pk=batch.pk, claim=token).update(claimed_at=clock.now()))


def _release(batch: Batch, token: str, reason: str) -> None:
    """Hand an interrupted batch back: pending again, or given up after ``MAX_ATTEMPTS`` claims."""
    attempts = Batch.objects.filter(pk=batch.pk).values_list("attempts", flat=True).first() or 0
    if attempts >= MAX_ATTEMPTS:
        with transaction.atomic():
            # Only while the claim is still ours: a worker that took the batch over is sending those rows.
            if Batch.objects.filter(pk=batch.pk, claim=token).update(status=Batch.Status.DONE, finished_at=clock.now()):
                Delivery.objects.filter(batch=batch, status=Delivery.Status.QUEUED).update(
                    status=Delivery.Status.FAILED, error=f"gave up after {attempts} attempts: {reason}"[:300]
                )
        finish_if_done(batch.issue_id, now=clock.now())
    else:
        Batch.objects.filter(pk=batch.pk, claim=token).update(status=Batch.Status.PENDING, claim="", claimed_at=None)
    logger.warning("batch %s of issue %s interrupted (attempt %s): %s", batch.pk, batch.issue_id, attempts, reason)


def finish_if_done(issue_id: int, *, now: dt.datetime) -> bool:
    """Mark a sending issue sent when none of its batches is left; returns whether this call did."""
    if Batch.objects.filter(issue_id=issue_id).exclude(status=Batch.Status.DONE).exists():
        return False
    return bool(
        Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).update(status=Issue.Status.SENT, finished_at=now)
    )


def finish_stalled(*, now: dt.datetime) -> int:
    """Mark sent the sending issues with no batch left (a worker died between its last batch and the issue);
    returns how many."""
    open_batches = [Batch.Status.PENDING, Batch.Status.SENDING]
    stalled = Issue.objects.filter(status=Issue.Status.SENDING).exclude(batches__status__in=open_batches)
    return sum(finish_if_done(pk, now=now) for pk in stalled.values_list("pk", flat=True))


def claimable_batches(now: dt.datetime, *, issue_id: int | None = None, stalled: bool = False) -> list[int]:
    """Batches a worker may claim now: pending, or sending under a lapsed lease (a dead worker's).

    ``stalled`` keeps only those no queued job is likely to pick up: handed back after a failure, a dead
    worker's, or still pending a lease after their issue was prepared (their job was lost).
    """
    lapsed = now - LEASE
    pending = Q(status=Batch.Status.PENDING)
    if stalled:
        pending &= Q(attempts__gt=0) | Q(issue__claimed_at__lt=lapsed)
    found = Batch.objects.filter(
        pending | Q(status=Batch.Status.SENDING, claimed_at__lt=lapsed),
        issue__status=Issue.Status.SENDING,
    )
    if issue_id is not None:
        found = found.filter(issue_id=issue_id)
    return list(found.order_by("pk").values_list("pk", flat=True))


def drain(*, issue_id: int | None = None, now: dt.datetime | None = None) -> BatchResult:
    """Send every batch this worker can claim, one after another; returns the totals. What a worker (or the
    benchmark, or a test playing several workers) runs."""
    total = BatchResult()
    for batch_id in claimable_batches(now or clock.now(), issue_id=issue_id):
        result = send_batch(batch_id, now=now)
        if result is not None:
            total.sent += result.sent
            total.failed += result.failed
            total.suppressed += result.suppressed
            total.interrupted |= result.interrupted
    return total
