"""Schemas of the meter resource."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class MeterOut(Schema):
    metered: bool = Field(description="False for subscribers: they are never metered.")
    segment: str = Field(description="anonymous, registered, payment_failed, former_subscriber or subscriber.")
    window: str | None = Field(description="month, week, day or rolling; null when not metered.")
    starts: dt.datetime | None
    ends: dt.datetime | None
    used: int | None = Field(description="Metered articles read in the window.")
    limit: int | None
    remaining: int | None
