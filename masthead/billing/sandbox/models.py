"""What the sandbox processor remembers: customers, cards, charges and refunds.

These are the processor's own records, not masthead's: billing code reaches
them only through ``masthead.billing.gateways.sandbox.SandboxGateway``. A card
is kept as brand, last four digits, expiry and a keyed fingerprint; the full
number and the security code are never stored.

Every row that a gateway call creates carries that call's idempotency key,
unique per table, so a repeated call finds the first result and a concurrent
repeat loses the race at the database.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from masthead.billing.sandbox.display import format_minor


class SandboxCustomer(models.Model):
    id = models.CharField(primary_key=True, max_length=40)  # cus_sbx_...
    email = models.EmailField()
    reader_id = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=255, unique=True)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.email})"


class SandboxCard(models.Model):
    class Behaviour(models.TextChoices):
        SUCCEED = "succeed", "Charges succeed"
        DECLINE_CHARGES = "decline_charges", "Attaches, then every charge is declined"

    id = models.CharField(primary_key=True, max_length=40)  # pm_sbx_...
    customer = models.ForeignKey(SandboxCustomer, on_delete=models.PROTECT, related_name="cards")
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    fingerprint = models.CharField(max_length=32, db_index=True)
    behaviour = models.CharField(max_length=20, choices=Behaviour.choices, default=Behaviour.SUCCEED)
    idempotency_key = models.CharField(max_length=255, unique=True)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        """``MM/YYYY``."""
        return f"{self.exp_month:02d}/{self.exp_year}"


class SandboxCharge(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.CharField(primary_key=True, max_length=40)  # ch_sbx_...
    customer = models.ForeignKey(SandboxCustomer, on_delete=models.PROTECT, related_name="charges")
    card = models.ForeignKey(SandboxCard, on_delete=models.PROTECT, related_name="charges")
    amount = models.PositiveBigIntegerField()  # minor units
    currency = models.CharField(max_length=3)  # ISO 4217, upper case
    status = models.CharField(max_length=10, choices=Status.choices)
    decline_code = models.CharField(max_length=40, blank=True)
    decline_message = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    description = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    amount_refunded = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # The last line of defence against refunding more than was taken; the
            # gateway's conditional UPDATE is the first.
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")), name="sandbox_refund_at_most_the_charge"
            ),
            models.CheckConstraint(
                condition=Q(status="succeeded") | Q(amount_refunded=0), name="sandbox_no_refund_of_a_failed_charge"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.amount_display} {self.status}"

    @property
    def succeeded(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @property
    def amount_display(self) -> str:
        return format_minor(self.amount, self.currency)

    @property
    def refunded_display(self) -> str:
        """The refunded amount formatted, or '' when nothing was refunded."""
        return format_minor(self.amount_refunded, self.currency) if self.amount_refunded else ""


class SandboxRefund(models.Model):
    id = models.CharField(primary_key=True, max_length=40)  # re_sbx_...
    charge = models.ForeignKey(SandboxCharge, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField()
    idempotency_key = models.CharField(max_length=255, unique=True)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.id} of {self.charge_id}"
