"""Schemas of signing in from an app."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import model_validator

from masthead.api.inputs import Email, Text


class TokenIn(Schema):
    email: Text = Field(..., min_length=3, max_length=254)
    password: Text | None = Field(None, min_length=1, max_length=4096, description="Give a password or a code.")
    code: Text | None = Field(None, min_length=1, max_length=32, description="A log-in code from POST /auth/code.")
    device_name: Text = Field(..., min_length=1, max_length=100, description='Shown to the reader: "Kenji\'s iPad".')

    @model_validator(mode="after")
    def one_secret(self):
        if (self.password is None) == (self.code is None):
            raise ValueError("Give either a password or a log-in code.")
        return self


class TokenOut(Schema):
    token: str = Field(description="The bearer token. Shown once: store it in the device's keychain.")
    token_type: str = "bearer"  # noqa: S105 - the token type (RFC 6750), not a secret
    id: int
    name: str


class CodeIn(Schema):
    email: Email = Field(..., min_length=3, max_length=254)


class CodeOut(Schema):
    sent: bool = Field(description="Always true: whether the address has an account is never revealed.")
