"""Schemas of the search resource."""

from __future__ import annotations

from ninja import Field, Schema

from masthead.api.inputs import Text
from masthead.api.routers.articles_schemas import ArticleSummaryOut


class SearchIn(Schema):
    q: Text = Field(..., min_length=1, max_length=200, description="What to look for.")
    page: int = Field(1, ge=1, le=100)
    limit: int = Field(20, ge=1, le=50)


class SearchOut(Schema):
    query: str
    total: int
    page: int
    items: list[ArticleSummaryOut]  # headline and dek only: search never returns body text
