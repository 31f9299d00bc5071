"""Schemas of the signed-in reader's own account."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class EntitlementsOut(Schema):
    segment: str = Field(description="registered, payment_failed, former_subscriber or subscriber.")
    entitled: bool = Field(description="May read every story in full, on the web and in the apps.")


class SubscriptionOut(Schema):
    status: str = Field(description="incomplete, trialing, active, past_due, unpaid or canceled.")
    plan: str
    paid_through: dt.datetime | None
    cancel_at_period_end: bool
    payment_failed: bool = Field(description="A renewal failed and is unpaid: ask the reader to update payment.")
    update_payment_url: str = Field(description="The account's billing page, where payment is updated.")


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    joined: dt.datetime
    entitlements: EntitlementsOut
    subscription: SubscriptionOut | None = Field(description="The latest subscription; null when there never was one.")
