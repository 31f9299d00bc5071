"""Articles as the API presents them: summaries, body blocks and the access object.

Only ever handed the blocks a reader may read: the locked part of a story is
cut before anything here sees it.
"""

from __future__ import annotations

from masthead.api import media
from masthead.content.blocks import block_text


def summary(article) -> dict:
    """A listing's view of an article (``with_sections`` must have run): never any body text."""
    section = None
    if getattr(article, "section_url", ""):
        section = {"slug": article.section_url.rstrip("/").rsplit("/", 1)[-1], "title": article.section_title}
    return {
        "id": article.pk,
        "slug": article.slug,
        "url": media.absolute(article.url or ""),
        "headline": article.title,
        "dek": article.dek,
        "section": section,
        "authors": [author.name for author in article.author_list],
        "topics": [tag.slug for tag in article.topics.all()],
        "access": article.access,
        "published_at": article.first_published_at,
        "updated_at": article.updated_at,
        "reading_time": article.reading_time,
        "lead_image": media.image(
            article.lead_image,
            alt=article.lead_image_alt,
            caption=article.lead_image_caption,
            credit=article.lead_image_credit,
        ),
    }


def block(child) -> dict | None:
    """One body block; None for a block an app cannot show (an image since deleted)."""
    kind, value = child.block_type, child.value
    if kind == "paragraph":
        return {"type": "paragraph", "html": str(value), "text": block_text(kind, value)}
    if kind == "subheading":
        return {"type": "subheading", "text": str(value)}
    if kind == "image":
        picture = media.image(
            value.get("image"),
            alt=value.get("alt_text", ""),
            caption=value.get("caption", ""),
            credit=value.get("credit", ""),
        )
        return {"type": "image", "image": picture} if picture else None
    if kind == "pull_quote":
        return {"type": "quote", "text": value.get("quote", ""), "attribution": value.get("attribution", "")}
    if kind == "embed":
        url = getattr(value, "url", "") or ""
        return {"type": "embed", "url": url} if url else None
    return None


def body(children) -> list[dict]:
    return [found for found in (block(child) for child in children) if found is not None]


def access(decision, prompt) -> dict:
    """The access object: the gate's decision and the prompt (with this reader's offer links) that follows it."""
    counts = None
    if decision.limit is not None and decision.used is not None:
        counts = {"used": decision.used, "limit": decision.limit, "remaining": decision.remaining}
    return {
        "allowed": decision.allowed,
        "reason": str(decision.reason),
        "counts": counts,
        "countdown": decision.show_countdown,
        "last_free": decision.last_free,
        "prompt_kind": str(decision.prompt) if decision.prompt and not decision.allowed else None,
        "prompt": _prompt(prompt) if prompt else None,
    }


def _link(link) -> dict | None:
    return {"label": link.label, "url": media.absolute(link.url)} if link else None


def _prompt(prompt) -> dict:
    return {
        "kind": str(prompt.kind),
        "heading": prompt.heading,
        "message": prompt.message,
        "action": _link(prompt.action),
        "secondary": _link(prompt.secondary),
        "offers": [
            {"headline": offer.headline, "description": offer.description, "checkout_url": media.absolute(offer.url)}
            for offer in prompt.offers
        ],
    }
