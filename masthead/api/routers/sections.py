"""Sections: the publication's desks, in the order the website shows them."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from masthead.api import caching, media
from masthead.api.errors import responses
from masthead.api.routers.sections_schemas import SectionListOut
from masthead.content import selectors

router = Router(tags=["sections"])


@router.get("", response=responses({200: SectionListOut, 304: None}), summary="List sections", auth=None)
def list_sections(request: HttpRequest):
    """Every live section. Send the ETag back as If-None-Match to get 304 when nothing changed."""
    payload = SectionListOut(
        items=[
            {"slug": s.slug, "title": s.title, "intro": s.intro, "url": media.absolute(s.url or "")}
            for s in selectors.sections()
        ]
    )
    return caching.conditional_json(request, payload)
