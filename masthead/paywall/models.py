"""The paywall's words, as staff edit them."""

from __future__ import annotations

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet

from masthead.metering.decision import Prompt

PROMPT_CHOICES = [
    (Prompt.SUBSCRIBE_OR_LOG_IN.value, "Anonymous reader, out of free articles"),
    (Prompt.REGISTER.value, "Registration wall"),
    (Prompt.SUBSCRIBE.value, "Registered reader, out of free articles"),
    (Prompt.UPDATE_PAYMENT.value, "Renewal failed: update payment information"),
    (Prompt.RESUBSCRIBE.value, "Former subscriber"),
    (Prompt.SUBSCRIBERS_ONLY.value, "Subscribers-only story"),
]


class PromptCopy(models.Model):
    """The heading, message and button of one paywall prompt."""

    kind = models.CharField(max_length=32, choices=PROMPT_CHOICES, unique=True)
    heading = models.CharField(max_length=120)
    message = models.TextField(max_length=600)
    button_label = models.CharField(max_length=40)

    panels = [FieldPanel("kind"), FieldPanel("heading"), FieldPanel("message"), FieldPanel("button_label")]

    class Meta:
        verbose_name = "paywall prompt"
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def save(self, *args, **kwargs):
        from django.db import transaction

        from masthead.paywall.prompts import forget_cached_copy

        super().save(*args, **kwargs)
        transaction.on_commit(forget_cached_copy)


register_snippet(PromptCopy)
