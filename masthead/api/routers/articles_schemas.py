"""Schemas of the articles resource: listings, the article with its blocks, and the access object."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from masthead.api.inputs import Text


class RenditionOut(Schema):
    size: Literal["small", "medium", "large"]
    url: str
    width: int
    height: int


class ImageOut(Schema):
    alt: str
    caption: str
    credit: str
    width: int
    height: int
    renditions: list[RenditionOut]


class SectionRef(Schema):
    slug: str
    title: str


class ArticleSummaryOut(Schema):
    id: int
    slug: str
    url: str  # the article's page on the website
    headline: str
    dek: str
    section: SectionRef | None
    authors: list[str]
    topics: list[str]
    access: Literal["free", "metered", "subscribers"]
    published_at: dt.datetime | None
    updated_at: dt.datetime | None
    reading_time: int  # minutes
    lead_image: ImageOut | None


class ArticlePageOut(Schema):
    items: list[ArticleSummaryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class ArticleListIn(Schema):
    section: Text | None = Field(None, max_length=255, description="A section's slug.")
    topic: Text | None = Field(None, max_length=100, description="A topic's slug.")
    cursor: Text | None = Field(None, max_length=200, description="The next_cursor of the previous page.")
    limit: int = Field(20, ge=1, le=50)


# --- Blocks ---------------------------------------------------------------------------


class ParagraphBlock(Schema):
    type: Literal["paragraph"]
    html: str  # limited HTML: <p>, <b>, <i>, <a href>
    text: str


class SubheadingBlock(Schema):
    type: Literal["subheading"]
    text: str


class ImageBlock(Schema):
    type: Literal["image"]
    image: ImageOut


class QuoteBlock(Schema):
    type: Literal["quote"]
    text: str
    attribution: str


class EmbedBlock(Schema):
    type: Literal["embed"]
    url: str


Block = Annotated[ParagraphBlock | SubheadingBlock | ImageBlock | QuoteBlock | EmbedBlock, Field(discriminator="type")]


# --- Access ---------------------------------------------------------------------------


class CountsOut(Schema):
    used: int  # metered articles counted in the window, this one included
    limit: int
    remaining: int


class LinkOut(Schema):
    label: str
    url: str


class OfferOut(Schema):
    headline: str
    description: str
    checkout_url: str  # carries an offer token bound to this reader; expires


class PromptOut(Schema):
    kind: str
    heading: str
    message: str
    action: LinkOut
    secondary: LinkOut | None
    offers: list[OfferOut]


class AccessOut(Schema):
    allowed: bool = Field(description="True when the whole story is in body; false when body is the lead-in only.")
    reason: str = Field(
        description="free_article, subscriber, verified_crawler, already_read, within_meter, referral, "
        "subscribers_only, registration_wall, meter_exhausted or payment_failed."
    )
    counts: CountsOut | None = Field(description="The reader's meter window; null when the meter did not apply.")
    countdown: bool = Field(description="Show 'n of N free articles left'.")
    last_free: bool = Field(description="This was the reader's last free article in the window.")
    prompt_kind: str | None = Field(
        description="subscribe_or_log_in, register, subscribe, update_payment, resubscribe or subscribers_only."
    )
    prompt: PromptOut | None


class ArticleOut(ArticleSummaryOut):
    dateline: str
    body: list[Block] = Field(description="The blocks this reader may read: the lead-in only when access is denied.")
    access: AccessOut
