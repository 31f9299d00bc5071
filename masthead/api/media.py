"""Images and links as apps need them: absolute URLs and sized renditions."""

from __future__ import annotations

from django.conf import settings

# The widths an app chooses from (device width times pixel density).
RENDITIONS = {"small": "width-480", "medium": "width-960", "large": "width-1600"}


def absolute(url: str) -> str:
    """``url`` made absolute against SITE_URL (already absolute URLs pass through)."""
    if not url or "://" in url:
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")


def image(image, *, alt: str = "", caption: str = "", credit: str = "") -> dict | None:
    """An image with its renditions, or None when there is none. Renditions are made once and kept by Wagtail."""
    if image is None:
        return None
    found = image.get_renditions(*RENDITIONS.values())
    return {
        "alt": alt or image.title,
        "caption": caption,
        "credit": credit,
        "width": image.width,
        "height": image.height,
        "renditions": [
            {"size": size, "url": absolute(found[spec].url), "width": found[spec].width, "height": found[spec].height}
            for size, spec in RENDITIONS.items()
        ],
    }
