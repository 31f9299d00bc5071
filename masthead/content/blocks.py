"""The blocks an article body is made of, and pure helpers over them."""

from __future__ import annotations

import re

from django.utils.html import strip_tags
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

# Body copy is kept deliberately plain: emphasis and links, nothing that lets a
# paragraph smuggle in headings or layout.
PARAGRAPH_FEATURES = ["bold", "italic", "link"]


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=300)
    credit = blocks.CharBlock(required=False, max_length=120)
    alt_text = blocks.CharBlock(
        required=False, max_length=250, help_text="Describe the image for readers who cannot see it."
    )

    class Meta:
        icon = "image"
        template = "content/blocks/image.html"


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=400)
    attribution = blocks.CharBlock(required=False, max_length=120)

    class Meta:
        icon = "openquote"
        template = "content/blocks/pull_quote.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=PARAGRAPH_FEATURES, template="content/blocks/paragraph.html")
    subheading = blocks.CharBlock(max_length=120, icon="title", template="content/blocks/subheading.html")
    image = ImageBlock()
    pull_quote = PullQuoteBlock()
    embed = EmbedBlock(icon="media", template="content/blocks/embed.html")


_WORD = re.compile(r"\w+(?:['’-]\w+)*", re.UNICODE)
WORDS_PER_MINUTE = 230


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def block_text(block_type: str, value) -> str:
    """The reader-visible text of one block, as plain text ('' for none)."""
    if block_type == "paragraph":
        return strip_tags(value.source if hasattr(value, "source") else str(value))
    if block_type == "subheading":
        return str(value)
    if block_type == "pull_quote":
        return str(value.get("quote", ""))
    if block_type == "image":
        return str(value.get("caption", ""))
    return ""


def reading_minutes(words: int) -> int:
    """Whole minutes to read ``words`` at a steady pace; never less than 1."""
    return max(1, round(words / WORDS_PER_MINUTE))


def lead_in_count(items: list[tuple[str, str]], *, paragraphs: int, min_words: int) -> int:
    """How many leading blocks make up the lead-in.

    ``items`` is the body as ``(block_type, plain_text)`` pairs. The lead-in
    takes at least ``paragraphs`` paragraphs, then keeps taking whole
    paragraphs until it holds ``min_words`` words. Non-paragraph blocks met on
    the way (a subheading, an image) come along so the cut never strands one.
    Returns 0 for an empty body, and never more than ``len(items)``.
    """
    taken_paragraphs = 0
    words = 0
    for index, (block_type, text) in enumerate(items):
        if block_type == "paragraph":
            taken_paragraphs += 1
            words += count_words(text)
            if taken_paragraphs >= paragraphs and words >= min_words:
                return index + 1
    return len(items)
