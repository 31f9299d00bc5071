"""Newsletters: the lists, who signed up, the issues sent, and the addresses never to mail again.

Facts only. Signing up, composing, scheduling and sending are actions (``actions.py``, ``sending.py``).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

WEEKDAYS = "0123456"  # Monday is 0, as datetime.weekday() counts


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    SUBSCRIBERS = "subscribers", "Subscribers only"


def _check_weekdays(value: str) -> None:
    if not value or any(char not in WEEKDAYS for char in value) or len(set(value)) != len(value):
        raise ValidationError("Give the days as digits, Monday 0 to Sunday 6, each once: 0123456 is every day.")


class Newsletter(models.Model):
    """A list readers sign up to. Staff manage them; an issue goes to one newsletter's confirmed signups."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True, help_text="Its public page is /newsletters/<slug>/.")
    description = models.TextField(blank=True)
    cadence = models.CharField(max_length=80, blank=True, help_text="In words for readers, e.g. “Every morning”.")
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.EVERYONE)
    from_name = models.CharField(max_length=120, blank=True, help_text="Empty: the publication's name.")
    from_email = models.EmailField(blank=True, help_text="Empty: the site's sender address (DEFAULT_FROM_EMAIL).")
    opt_in_by_default = models.BooleanField(
        default=False, help_text="Ticked in the signup box, so a reader who signs up gets it unless they untick it."
    )
    active = models.BooleanField(default=True, help_text="Inactive newsletters take no signups and send nothing.")
    position = models.PositiveSmallIntegerField(default=0)
    # The automatic digest: built from the latest stories of ``digest_sections`` at ``digest_time`` on
    # ``digest_weekdays``, in the publication's time zone.
    digest_enabled = models.BooleanField("Automatic digest", default=False)
    digest_time = models.TimeField(default=dt.time(7, 0), help_text="Local time, in the publication's zone.")
    digest_weekdays = models.CharField(
        max_length=7, default=WEEKDAYS, validators=[_check_weekdays], help_text="Monday 0 … Sunday 6; 0123456 daily."
    )
    digest_sections = models.ManyToManyField("content.SectionPage", blank=True, related_name="+")
    digest_count = models.PositiveSmallIntegerField(default=5, help_text="At most this many stories per digest.")
    digest_next_at = models.DateTimeField(null=True, blank=True, editable=False)
    digest_last_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description"), FieldPanel("cadence")],
            heading="Newsletter",
        ),
        MultiFieldPanel(
            [
                FieldPanel("audience"),
                FieldRowPanel([FieldPanel("from_name"), FieldPanel("from_email")]),
                FieldPanel("opt_in_by_default"),
                FieldRowPanel([FieldPanel("active"), FieldPanel("position")]),
            ],
            heading="Audience and sender",
        ),
        MultiFieldPanel(
            [
                FieldPanel("digest_enabled"),
                FieldRowPanel([FieldPanel("digest_time"), FieldPanel("digest_weekdays"), FieldPanel("digest_count")]),
                FieldPanel("digest_sections"),
            ],
            heading="Automatic digest",
        ),
    ]

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def for_subscribers(self) -> bool:
        return self.audience == Audience.SUBSCRIBERS

    def sender(self) -> str:
        """The From header: ``Name <address>``."""
        from email.utils import formataddr

        default_name, default_address = _parsed_address(settings.DEFAULT_FROM_EMAIL)
        name = self.from_name or default_name or settings.PUBLICATION_NAME
        # One line, whatever was typed: formataddr then quotes any character special in an address.
        return formataddr((" ".join(name.split()), (self.from_email or default_address).strip()))


@functools.lru_cache(maxsize=8)  # asked once per message sent: the standard library's parser is slow
def _parsed_address(value: str) -> tuple[str, str]:
    from email.utils import parseaddr

    return parseaddr(value)


class Signup(models.Model):
    """One address on one newsletter. ``pending`` until the address is confirmed; only ``confirmed`` is mailed."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        UNSUBSCRIBED = "unsubscribed"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="signups")
    email = models.EmailField(help_text="Lower-cased.")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="newsletter_signups"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20, blank=True, help_text="box, page, account, api, admin, demo")
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["newsletter", "email"], name="one_signup_per_address")]
        # The audience is streamed in id order (keyset pagination) per newsletter and status.
        indexes = [models.Index(fields=["newsletter", "status", "id"], name="signup_audience")]

    def __str__(self) -> str:
        return f"{self.email} on {self.newsletter_id} ({self.status})"


class Suppression(models.Model):
    """An address no newsletter may be sent to: it bounced, complained, or staff blocked it."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced"
        COMPLAINED = "complained"
        REJECTED = "rejected"
        MANUAL = "manual"

    email = models.EmailField(unique=True, help_text="Lower-cased.")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class Issue(ClusterableModel):
    """One sending of a newsletter: composed by an editor, or built by the automatic digest."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        SCHEDULED = "scheduled"
        PREPARING = "preparing"  # the worker is writing the delivery rows
        SENDING = "sending"
        SENT = "sent"
        CANCELED = "canceled"

    class Kind(models.TextChoices):
        COMPOSED = "composed"
        DIGEST = "digest"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="issues")
    subject = models.CharField(max_length=200)
    intro = models.TextField(blank=True, help_text="Plain text; blank lines separate paragraphs.")
    latest_count = models.PositiveSmallIntegerField(
        default=0, help_text="Also add the latest N stories from the sections below (0: only the chosen stories)."
    )
    sections = models.ManyToManyField("content.SectionPage", blank=True, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMPOSED, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    send_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    # What every recipient gets, fixed when sending starts (an edit to a story mid-send changes nothing):
    # the message with a placeholder where each recipient's unsubscribe link goes.
    html_body = models.TextField(blank=True, editable=False)
    text_body = models.TextField(blank=True, editable=False)
    # Preparing is resumable: the audience is streamed in signup id order, and this is the last id written.
    prepared_through = models.BigIntegerField(default=0, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    panels = [
        FieldPanel("newsletter"),
        FieldPanel("subject"),
        FieldPanel("intro"),
        InlinePanel("items", heading="Stories", label="Story"),
        MultiFieldPanel([FieldPanel("latest_count"), FieldPanel("sections")], heading="Latest stories"),
    ]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "send_at"], name="issue_due")]

    def __str__(self) -> str:
        return self.subject

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)


class IssueArticle(Orderable):
    """A story an editor chose for an issue, in order."""

    issue = ParentalKey(Issue, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey("content.ArticlePage", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("article")]


class Batch(models.Model):
    """Up to ``NEWSLETTER_BATCH_SIZE`` deliveries of an issue, sent by one worker over one connection.

    A worker claims a batch with a conditional UPDATE (pending, or sending with an expired lease) and a fresh
    ``claim``; only the holder of the current claim may go on sending it.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        DONE = "done"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "number"], name="one_batch_number_per_issue")]
        indexes = [models.Index(fields=["status", "claimed_at"], name="batch_claimable")]

    def __str__(self) -> str:
        return f"issue {self.issue_id} batch {self.number} ({self.status})"


class Delivery(models.Model):
    """One issue to one address. Written ``queued`` when sending starts, then ``sent`` once the server accepted it.

    The row is the memory of a send: a worker that resumes a batch skips every row already ``sent``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"
        SUPPRESSED = "suppressed"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, null=True, related_name="deliveries")
    signup = models.ForeignKey(Signup, on_delete=models.SET_NULL, null=True, related_name="deliveries")
    email = models.EmailField(blank=True, help_text="Empty once the reader's account is deleted.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "email"], condition=~Q(email=""), name="one_delivery_per_issue_and_address"
            )
        ]
        indexes = [models.Index(fields=["batch", "status"], name="delivery_batch_status")]

    def __str__(self) -> str:
        return f"{self.email or 'forgotten'}: {self.status}"
