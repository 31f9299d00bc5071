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
