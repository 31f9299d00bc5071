"""Template helpers for the public site."""

from __future__ import annotations

import json

from django import template
from django.utils.safestring import mark_safe

from masthead.lib.dates import format_newsroom_date, format_newsroom_time

register = template.Library()


@register.filter
def newsroom_time(value):
    """``November 11, 2016 5:44 am JST`` in the publication's zone; '' for None."""
    return format_newsroom_time(value) if value else ""


@register.filter
def newsroom_date(value):
    return format_newsroom_date(value) if value else ""


@register.filter
def json_ld_script(data) -> str:
    """A ``<script type="application/ld+json">`` element for ``data``.

    ``<``, ``>`` and ``&`` are escaped inside the JSON so no value can close
    the script element early.
    """
    if not data:
        return ""
    text = (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 - escaped above
