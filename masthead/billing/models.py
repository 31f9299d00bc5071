"""Billing facts: plans, offers, customers, cards, subscriptions, invoices, payments, the ledger and the inbox.

Models hold facts. Every change to them goes through ``billing.actions``.
Money is an integer number of minor units (cents) plus an ISO 4217 currency.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from masthead.billing.pricing import Interval, OfferKind, OfferTerms, PlanTerms

DIGITAL = "digital"  # the one product masthead sells: digital access to every story


def _default_currency() -> str:
    return settings.BILLING_CURRENCY


class Plan(models.Model):
    """A price for access, e.g. "Digital, monthly, $15.00".

    Once a plan has subscribers its price is fixed: a new price is a new
    version of the plan (same code, version + 1), and existing subscribers
    keep the version they signed up for.
    """

    product = models.CharField(max_length=40, default=DIGITAL, editable=False)
    code = models.SlugField(max_length=40, help_text="Stable name shared by every version, e.g. monthly.")
    version = models.PositiveIntegerField(default=1, editable=False)
    name = models.CharField(max_length=120, help_text="What readers see, e.g. Digital access, monthly.")
    description = models.TextField(blank=True)
    amount = models.PositiveIntegerField(help_text="Price per billing period, in cents (1500 is 15.00).")
    currency = models.CharField(max_length=3, default=_default_currency)
    interval = models.CharField(max_length=5, choices=[(i.value, i.label) for i in Interval], default=Interval.MONTH)
    interval_count = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True, help_text="Offered to new subscribers.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the subscribe page.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    PRICE_FIELDS = ("amount", "currency", "interval", "interval_count")

    class Meta:
        ordering = ["position", "code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="plan_code_version_unique")]

    def __str__(self) -> str:
        suffix = f" (v{self.version})" if self.version > 1 else ""
        return f"{self.name}{suffix}"

    def terms(self) -> PlanTerms:
        return PlanTerms(
            amount=self.amount,
            currency=self.currency,
            interval=Interval(self.interval),
            interval_count=self.interval_count,
        )

    def clean(self):
        self.currency = (self.currency or "").upper()
        if problems := self.terms().problems():
            raise ValidationError(problems)


class Offer(models.Model):
    """Introductory terms on a plan: an intro price, a bundle, a trial or a discount, for some readers, for a while."""

    class Channel(models.TextChoices):
        PAYWALL = "paywall", "Paywall Subscribe button only"
        CODE = "code", "Public code"

    code = models.SlugField(max_length=40, unique=True, help_text="Internal name, e.g. intro-99.")
    headline = models.CharField(max_length=120, help_text="e.g. $0.99 for your first month")
    description = models.CharField(max_length=255, blank=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="offers")
    kind = models.CharField(max_length=12, choices=[(k.value, k.label) for k in OfferKind])
    intro_amount = models.PositiveIntegerField(default=0, help_text="Intro price per period, in cents.")
    intro_periods = models.PositiveSmallIntegerField(default=0)
    bundle_amount = models.PositiveIntegerField(default=0, help_text="Bundle price, in cents, charged up front.")
    bundle_months = models.PositiveSmallIntegerField(default=0)
    trial_days = models.PositiveSmallIntegerField(default=0)
    percent_off = models.PositiveSmallIntegerField(default=0)
    amount_off = models.PositiveIntegerField(default=0, help_text="In cents.")
    discount_periods = models.PositiveSmallIntegerField(default=0)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Leave empty for an offer with no end date.")
    segments = models.JSONField(
        default=list, blank=True, help_text="Who may redeem it: anonymous, registered, former_subscriber."
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.PAYWALL)
    public_code = models.CharField(max_length=40, blank=True, help_text="What readers type, for a public-code offer.")
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    ELIGIBLE_SEGMENTS = ("anonymous", "registered", "former_subscriber")

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_code"], condition=~Q(public_code=""), name="offer_public_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def terms(self) -> OfferTerms:
        return OfferTerms(
            kind=OfferKind(self.kind),
            intro_amount=self.intro_amount,
            intro_periods=self.intro_periods,
            bundle_amount=self.bundle_amount,
            bundle_months=self.bundle_months,
            trial_days=self.trial_days,
            percent_off=self.percent_off,
            amount_off=self.amount_off,
            discount_periods=self.discount_periods,
        )

    def is_live(self, now) -> bool:
        return (
            self.active
            and (self.starts_at is None or self.starts_at <= now)
            and (self.ends_at is None or now < self.ends_at)
        )

    def clean(self):
        problems = []
        if self.kind:
            problems += self.terms().problems()
        unknown = set(self.segments or []) - set(self.ELIGIBLE_SEGMENTS)
        if unknown:
            problems.append(f"Unknown segments: {', '.join(sorted(unknown))}. Use {', '.join(self.ELIGIBLE_SEGMENTS)}.")
        if not self.segments:
            problems.append("Choose at least one segment that may redeem the offer.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            problems.append("The offer must end after it starts.")
        if self.channel == self.Channel.CODE and not self.public_code:
            problems.append("A public-code offer needs its code.")
        if problems:
            raise ValidationError(problems)


class Customer(models.Model):
    """A reader as the payment gateway knows them."""

    reader = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="customer"
    )
    gateway = models.CharField(max_length=20)
    gateway_id = models.CharField(max_length=100)
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "gateway_id"], name="customer_gateway_id_unique")]

    def __str__(self) -> str:
        return f"{self.email} at {self.gateway}"


class PaymentMethod(models.Model):
    """A card, as much of it as masthead may keep: brand, last four digits, expiry and a fingerprint."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payment_methods")
    gateway_id = models.CharField(max_length=100)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    fingerprint = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="one_default_payment_method_per_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand.title()} ending {self.last4}"


LIVE_STATUSES = ("incomplete", "trialing", "active", "past_due", "unpaid")


class Subscription(models.Model):
    class Status(models.TextChoices):
        INCOMPLETE = "incomplete"
        TRIALING = "trialing"
        ACTIVE = "active"
        PAST_DUE = "past_due"
        UNPAID = "unpaid"
        CANCELED = "canceled"

    # Kept when the account is deleted: its invoices are accounting records.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="subscriptions"
    )
    product = models.CharField(max_length=40, default=DIGITAL)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, related_name="subscriptions")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="subscriptions")
    # The offer's terms as they were at checkout: later edits to the offer never reprice a subscription.
    offer_terms = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INCOMPLETE)
    started_at = models.DateTimeField(default=timezone.now)  # the anchor every period is counted from
    period_index = models.PositiveIntegerField(default=0)  # which charge of the schedule paid the current period
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    paid_through = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    canceled_at = models.DateTimeField(null=True, blank=True)
    renewal_pending = models.BooleanField(default=False)  # the next period's charge was asked for, not settled
    first_failed_at = models.DateTimeField(null=True, blank=True)  # retries are counted from here
    scheduled_plan = models.CharField(max_length=40, blank=True, null=True)  # the plan code to switch to at period end
    next_retry_at = models.DateTimeField(null=True, blank=True)  # when dunning next charges the open renewal
    # The schedule is counted from ``anchored_at`` (None: ``started_at``), and its charge 0 is this subscription's
    # charge ``anchor_index``. A plan change or a comp re-anchors it: see ``charge()`` and docs/billing.md.
    anchored_at = models.DateTimeField(null=True, blank=True)
    anchor_index = models.PositiveIntegerField(default=0)
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True)
    # The gateway's id for it when the gateway runs the subscription (Stripe's sub_…); empty for the sandbox.
    gateway_id = models.CharField(max_length=100, blank=True, default="", db_index=True)
    # Why staff should look at this subscription (an introductory offer withdrawn, for example); empty when all is well.
    staff_flag = models.CharField("flagged for staff", max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["reader", "status"]),
            # The renewal and dunning workers' look-ups.
            models.Index(fields=["status", "renewal_pending", "current_period_end"], name="subscription_due"),
            models.Index(fields=["status", "next_retry_at"], name="subscription_retry_due"),
        ]
        constraints = [
            # One live subscription per reader and product: a double submit, or two
            # tabs checking out at once, cannot make a second one.
            models.UniqueConstraint(
                fields=["reader", "product"],
                condition=Q(status__in=LIVE_STATUSES),
                name="one_live_subscription_per_reader_and_product",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reader} {self.status}"

    def schedule(self):
        """The pricing schedule the subscription charges by now: counted from its anchor, with its offer's terms
        (none after a re-anchor). Its charge 0 is this subscription's charge ``anchor_index``."""
        from masthead.billing.pricing import OfferKind, schedule

        offer = None
        if self.offer_terms:
            offer = OfferTerms(**{**self.offer_terms, "kind": OfferKind(self.offer_terms["kind"])})
        return schedule(self.plan.terms(), offer, self.anchored_at or self.started_at)

    def charge(self, index: int):
        """This subscription's ``index``-th charge (0 was at checkout), whatever re-anchoring happened since."""
        from dataclasses import replace

        if index < self.anchor_index:
            raise IndexError(f"charge {index} came before the schedule was re-anchored at {self.anchor_index}")
        return replace(self.schedule().charge(index - self.anchor_index), index=index)


class Reminder(models.Model):
    """A reminder mailed about one period of a subscription: the row makes it once per subscription and period."""

    class Kind(models.TextChoices):
        OFFER_ENDING = "offer_ending", "Introductory offer ending"
        RENEWAL = "renewal", "Annual renewal coming"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    period_index = models.PositiveIntegerField()  # the charge the reminder is about
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind", "period_index"], name="one_reminder_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.subscription_id} period {self.period_index}"


class Counter(models.Model):
    """A named sequence, for gap-free invoice numbers."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        PAID = "paid"
        VOID = "void"
        UNCOLLECTIBLE = "uncollectible"

    number = models.CharField(max_length=20, unique=True)
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="invoices")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3)
    total = models.PositiveIntegerField()
    amount_refunded = models.PositiveIntegerField(default=0)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    period_index = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Name and address as they were when the invoice was made.
    billed_to = models.CharField(max_length=255)
    # The gateway's id for it when the gateway issued it (Stripe's in_…); empty for invoices masthead issued.
    gateway_id = models.CharField(max_length=100, blank=True, default="", db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A period is invoiced once: two workers, or a retry after a crash, find the same invoice.
            models.UniqueConstraint(fields=["subscription", "period_index"], name="one_invoice_per_period")
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=255)
    amount = models.IntegerField()  # a discount line is negative
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()

    def __str__(self) -> str:
        return self.description


class Payment(models.Model):
    """One attempt to collect an invoice."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    attempt = models.PositiveSmallIntegerField(default=1)
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    gateway = models.CharField(max_length=20)
    gateway_charge_id = models.CharField(max_length=100, blank=True)
    decline_code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=255, blank=True)
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.invoice} attempt {self.attempt}: {self.status}"


class Redemption(models.Model):
    """An introductory offer was used. Once per reader: by account and by card."""

    reader = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="offer_redemption"
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="redemptions")
    subscription = models.ForeignKey(Subscription, on_delete=models.SET_NULL, null=True)
    card_fingerprint = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.offer} by {self.reader_id}"


class CheckoutAttempt(models.Model):
    """One press of the Pay button, keyed by the form's idempotency key: pressed twice, it runs once."""

    class Status(models.TextChoices):
        OPEN = "open"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    key = models.CharField(max_length=64, unique=True)
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT)
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    error_code = models.CharField(max_length=40, blank=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"checkout {self.key}: {self.status}"


class LedgerEntry(models.Model):
    """What happened to whose money, when, and who did it. Append-only: rows are never changed or deleted."""

    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)  # checkout.succeeded, payment.failed, refund.issued, ...
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.SET_NULL, null=True, related_name="ledger")
    invoice = models.ForeignKey(Invoice, on_delete=models.SET_NULL, null=True, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, related_name="+")
    amount = models.IntegerField(default=0)  # money in is positive, refunds negative
    currency = models.CharField(max_length=3, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_label = models.CharField(max_length=120)  # "reader", "worker", "gateway:sandbox", "staff:ana@…"
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The billing ledger is append-only: entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The billing ledger is append-only: entries are never deleted")


class ProviderEvent(models.Model):
    """An event from a payment gateway (a Stripe webhook, a sandbox outcome), stored before it is handled."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_unique")]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"
