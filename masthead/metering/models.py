"""The meter's stored facts: reads per window, the rules and their versions, and decisions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from masthead.metering.events import READER_BUCKETS, reader_bucket
from masthead.metering.rules import Allowance, Rules, Segment, WindowKind


class MeterWindow(models.Model):
    """One reader's reads in one window (database store)."""

    reader_key = models.CharField(max_length=64)
    window_key = models.CharField(max_length=24)
    entries = models.TextField(blank=True, help_text="article_id:epoch pairs, comma-separated")
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reader_key", "window_key"], name="one_row_per_reader_window")]

    def __str__(self) -> str:
        return f"{self.reader_key} {self.window_key}"


WINDOW_CHOICES = [
    (WindowKind.MONTH.value, "Calendar month"),
    (WindowKind.WEEK.value, "Calendar week"),
    (WindowKind.DAY.value, "Calendar day"),
    (WindowKind.ROLLING.value, "Rolling number of days"),
]


def _limit(default: int):
    return models.PositiveSmallIntegerField(default=default, help_text="Metered articles per window")


def _window():
    return models.CharField(max_length=10, choices=WINDOW_CHOICES, default=WindowKind.MONTH.value)


def _rolling_days():
    return models.PositiveSmallIntegerField(default=30, help_text="Only for a rolling window")


SEGMENT_PREFIXES = {
    Segment.ANONYMOUS: "anonymous",
    Segment.REGISTERED: "registered",
    Segment.PAYMENT_FAILED: "payment_failed",
    Segment.FORMER_SUBSCRIBER: "former_subscriber",
}


class _MeterRulesFields(models.Model):
    anonymous_limit = _limit(5)
    anonymous_window = _window()
    anonymous_rolling_days = _rolling_days()
    registered_limit = _limit(10)
    registered_window = _window()
    registered_rolling_days = _rolling_days()
    payment_failed_limit = _limit(5)
    payment_failed_window = _window()
    payment_failed_rolling_days = _rolling_days()
    former_subscriber_limit = _limit(5)
    former_subscriber_window = _window()
    former_subscriber_rolling_days = _rolling_days()
    registration_wall_after = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Ask anonymous readers to register after this many articles. Blank: off."
    )
    countdown_from = models.PositiveSmallIntegerField(
        default=2, help_text='Show "n of N free articles left" when n is at most this.'
    )
    lead_in_paragraphs = models.PositiveSmallIntegerField(default=2)
    lead_in_min_words = models.PositiveSmallIntegerField(default=50)
    referral_daily_allowance = models.PositiveSmallIntegerField(
        default=0, help_text="Extra articles a day for readers arriving from search or social. 0: off."
    )

    class Meta:
        abstract = True

    def to_rules(self, version: int = 0) -> Rules:
        return Rules(
            version=version,
            allowances={
                segment: Allowance(
                    limit=getattr(self, f"{prefix}_limit"),
                    window=WindowKind(getattr(self, f"{prefix}_window")),
                    rolling_days=getattr(self, f"{prefix}_rolling_days"),
                )
                for segment, prefix in SEGMENT_PREFIXES.items()
            },
            registration_wall_after=self.registration_wall_after,
            countdown_from=self.countdown_from,
            lead_in_paragraphs=self.lead_in_paragraphs,
            lead_in_min_words=self.lead_in_min_words,
            referral_daily_allowance=self.referral_daily_allowance,
        )


def _segment_panel(segment: Segment, prefix: str):
    return FieldRowPanel(
        [FieldPanel(f"{prefix}_limit"), FieldPanel(f"{prefix}_window"), FieldPanel(f"{prefix}_rolling_days")],
        heading=segment.value.replace("_", " ").capitalize(),
    )


@register_setting(icon="time")
class MeterRules(_MeterRulesFields, BaseGenericSetting):
    """The meter's rules as staff edit them. Every save records a new version."""

    panels = [
        MultiFieldPanel(
            [_segment_panel(segment, prefix) for segment, prefix in SEGMENT_PREFIXES.items()],
            heading="Free articles per segment (subscribers are never metered)",
        ),
        FieldPanel("registration_wall_after"),
        FieldPanel("countdown_from"),
        FieldRowPanel([FieldPanel("lead_in_paragraphs"), FieldPanel("lead_in_min_words")], heading="Lead-in"),
        FieldPanel("referral_daily_allowance"),
    ]

    class Meta:
        verbose_name = "meter rules"

    def __str__(self) -> str:
        return "Meter rules"

    def save(self, *args, **kwargs):
        from masthead.metering import policy

        with transaction.atomic():
            super().save(*args, **kwargs)
            last = MeterRulesVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0
            MeterRulesVersion.objects.create(number=last + 1, snapshot=policy.snapshot(self.to_rules()))
            transaction.on_commit(policy.forget_cached_rules)

    def clean(self):
        problems = self.to_rules().problems()
        errors = {}
        for key, messages in problems.items():
            field = f"{key}_limit" if key in {s.value for s in SEGMENT_PREFIXES} else key
            errors[field if hasattr(self, field) else "__all__"] = messages
        if errors:
            raise ValidationError(errors)


class MeterRulesVersion(models.Model):
    """An immutable copy of the rules as they were saved; decisions name the version they used."""

    number = models.PositiveIntegerField(unique=True)
    snapshot = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Meter rules v{self.number}"


class DecisionEventQuerySet(models.QuerySet):
    def for_reader(self, reader_key: str):
        return self.filter(reader_bucket=reader_bucket(reader_key), reader_key=reader_key)

    def older_than(self, cutoff):
        """Decisions made before ``cutoff``, found through the reader index, bucket by bucket.

        The log keeps no index on time alone: every row would pay to write one, and only
        pruning reads it. Naming the buckets lets the reader index, which holds each bucket
        in time order, serve this too.
        """
        return self.filter(reader_bucket__in=range(READER_BUCKETS), at__lt=cutoff)


class DecisionEvent(models.Model):
    """One meter decision, kept so staff can answer "why did this reader see the wall?"."""

    reader_key = models.CharField(max_length=64)
    reader_bucket = models.PositiveSmallIntegerField(editable=False, help_text="reader_bucket(reader_key)")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # decision_by_account leads with it
    )
    article_id = models.PositiveIntegerField()
    allowed = models.BooleanField()
    reason = models.CharField(max_length=32)
    used = models.PositiveSmallIntegerField(null=True)
    limit = models.PositiveSmallIntegerField(null=True)
    rules_version = models.PositiveIntegerField()
    at = models.DateTimeField()

    objects = DecisionEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["reader_bucket", "-at", "reader_key"], name="decision_by_reader_bucket"),
            # Most decisions are anonymous readers': leaving them out of this index (it serves
            # deleting an account, which sets theirs to NULL) saves about a quarter of a row's write.
            models.Index(
                fields=["account", "-at"], name="decision_by_account", condition=models.Q(account__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader_key} {self.article_id} {self.reason}"

    def save(self, *args, **kwargs):
        self.reader_bucket = reader_bucket(self.reader_key)
        super().save(*args, **kwargs)
