"""Operations facts: periodic job slots, the demo mailbox, and which notices were sent."""

from django.db import models


class PeriodicRun(models.Model):
    """One row per periodic job per time slot: whoever inserts it enqueues the job.

    The unique constraint is the lock. Any number of workers on any number of
    machines may tick at once; exactly one insert wins each slot.
    """

    name = models.CharField(max_length=100)
    slot = models.BigIntegerField(help_text="Whole intervals since the Unix epoch")
    enqueued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="one_run_per_slot")]

    def __str__(self) -> str:
        return f"{self.name} #{self.slot}"


class MailboxMessage(models.Model):
    """A message the site sent, kept instead of delivered (demo mode, or ``EMAIL_PROVIDER=mailbox``).

    Written by ``ops.mailbox.MailboxBackend``; staff read it on the admin's Mailbox page.
    """

    created_at = models.DateTimeField(db_index=True)
    from_email = models.TextField()
    to = models.TextField(help_text="Every recipient (To, Cc and Bcc), comma-separated.")
    subject = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=list, help_text="[name, value] pairs, in the order they were written.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"


class SentNotice(models.Model):
    """A notice (kind, occurrence key) that was sent, or is being sent: the unique key stops a second send.

    ``kind`` is namespaced by its app, e.g. ``billing.receipt``; ``key`` names the occurrence, e.g. ``invoice:42``.
    """

    kind = models.CharField(max_length=60)
    key = models.CharField(max_length=120)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_notice_per_kind_and_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
