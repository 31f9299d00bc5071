"""Schemas of the signed-in reader's newsletter preferences."""

from __future__ import annotations

from ninja import Field, Schema

from masthead.api.inputs import Text


class NewsletterOut(Schema):
    slug: str
    name: str
    description: str
    cadence: str  # in words: "Every morning"
    audience: str = Field(description="everyone or subscribers.")
    subscribed: bool
    available: bool = Field(description="False for a subscribers-only newsletter the reader may not receive.")


class NewsletterListOut(Schema):
    items: list[NewsletterOut]


class NewsletterPreferencesIn(Schema):
    subscribed: list[Text] = Field(
        ..., max_length=100, description="The slugs of every newsletter to receive; all others are unsubscribed."
    )
