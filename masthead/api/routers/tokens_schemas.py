"""Schemas of the reader's app tokens."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class AppTokenOut(Schema):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    current: bool  # the token this request carries


class AppTokenListOut(Schema):
    items: list[AppTokenOut]
