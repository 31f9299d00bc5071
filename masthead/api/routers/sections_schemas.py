"""Schemas of the sections resource."""

from __future__ import annotations

from ninja import Schema


class SectionOut(Schema):
    slug: str
    title: str
    intro: str
    url: str  # the section's page on the website


class SectionListOut(Schema):
    items: list[SectionOut]
