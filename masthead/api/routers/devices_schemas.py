"""Schemas of registering an app install."""

from __future__ import annotations

import uuid

from ninja import Field, Schema


class DeviceOut(Schema):
    token: str = Field(description="The device token. Shown once: store it in the device's keychain.")
    token_type: str = "bearer"  # noqa: S105 - the token type (RFC 6750), not a secret
    device_id: uuid.UUID = Field(description="The anonymous reader id the meter counts this install under.")
