"""Reader-specific values in pages that are cached for every anonymous reader.

A lead-in page is rendered once per decision outcome and shared. The few
values that belong to one reader (the offer tokens on the prompt's Subscribe
buttons) are rendered as placeholders and filled in here, per response.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# A dot cannot appear in an offer code (a slug), so it closes the placeholder unambiguously.
PLACEHOLDER = "mh-offer-token.{code}."
_PLACEHOLDERS = re.compile(rb"mh-offer-token\.([A-Za-z0-9_-]+)\.")


def token_placeholder(offer_code: str) -> str:
    return PLACEHOLDER.format(code=offer_code)


def personalise(body: bytes, request) -> bytes:
    """``body`` with this reader's offer tokens in place of the placeholders."""
    if b"mh-offer-token." not in body:
        return body
    from masthead.billing.offers import mint_token

    reader = getattr(request, "reader", None)
    if reader is None:
        return _PLACEHOLDERS.sub(b"", body)
    reader_key = reader.current().key
    tokens: dict[bytes, bytes] = {}

    def fill(match: re.Match) -> bytes:
        code = match.group(1)
        if code not in tokens:
            tokens[code] = quote(mint_token(offer_code=code.decode(), reader_key=reader_key)).encode()
        return tokens[code]

    return _PLACEHOLDERS.sub(fill, body)


def cache_version() -> str:
    """Part of every shared page-cache key: it changes whenever what a prompt offers changes."""
    from masthead.billing.offers import version

    return version()
