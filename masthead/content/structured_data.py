"""schema.org structured data for articles.

The rule that matters: for a story that is not free, nothing here carries body
text. ``articleBody`` is present only for free stories; a non-free story
declares the part reserved for entitled readers with ``hasPart`` pointing at
the element that wraps it.
"""

from __future__ import annotations

from django.conf import settings

PAYWALLED_SELECTOR = ".paywalled-content"


def _absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else f"{settings.SITE_URL}{path}"


def news_article(article, request=None, *, lead_in_blocks: int | None = None) -> dict:
    """A ``NewsArticle`` dict for ``article``, ready for JSON encoding."""
    url = _absolute(article.get_url(request) or "")
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.dek,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "inLanguage": settings.PUBLICATION_LANGUAGE,
        "wordCount": article.word_count,
        "author": [
            {"@type": "Person", "name": author.name, "url": _absolute(author.get_absolute_url())}
            for author in article.author_list
        ],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": settings.PUBLICATION_NAME,
            "url": settings.SITE_URL + "/",
        },
        "isAccessibleForFree": article.is_free,
    }
    if article.published_at:
        data["datePublished"] = article.published_at.isoformat()
    modified = article.updated_at or article.last_published_at or article.published_at
    if modified:
        data["dateModified"] = modified.isoformat()
    section_title = getattr(article, "section_title", "")
    if section_title:
        data["articleSection"] = section_title
    if article.dateline:
        data["contentLocation"] = {"@type": "Place", "name": article.dateline}
    if article.lead_image_id:
        rendition = article.lead_image.get_rendition("fill-1200x675")
        data["image"] = [_absolute(rendition.url)]
    if article.is_free:
        data["articleBody"] = "\n\n".join(text for _, text in article.body_text_items() if text)
    elif lead_in_blocks is None or lead_in_blocks < len(article.body):
        # Only a story longer than its lead-in has a part reserved for entitled readers.
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": PAYWALLED_SELECTOR,
        }
    return data
