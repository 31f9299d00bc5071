"""Billing fixtures: the catalogue (plans and offers) and cards, as a reader would type them."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from masthead.billing.gateways.base import CardDetails
from masthead.billing.models import Offer, Plan
from masthead.lib import clock

CARDS = {
    "ok": "4242424242424242",
    "declined": "4000000000000002",
    "insufficient": "4000000000009995",
    "fails_later": "4000000000000341",
    "mastercard": "5555555555554444",
}


def card(kind: str = "ok", **overrides) -> CardDetails:
    values = {"number": CARDS[kind], "exp_month": 12, "exp_year": clock.now().year + 2, "cvc": "123"}
    return CardDetails(**(values | overrides))


def new_key() -> str:
    return secrets.token_urlsafe(24)


class Catalogue:
    def __init__(self):
        self.monthly = Plan.objects.create(code="monthly", name="Digital, monthly", amount=1500, interval="month")
        self.annual = Plan.objects.create(code="annual", name="Digital, annual", amount=15000, interval="year")
        self.intro = Offer.objects.create(
            code="intro-99",
            headline="$0.99 for your first month",
            plan=self.monthly,
            kind="intro_price",
            intro_amount=99,
            intro_periods=1,
            segments=["anonymous", "registered", "former_subscriber"],
        )
        self.bundle = Offer.objects.create(
            code="three-for-nine",
            headline="3 months for $9",
            plan=self.monthly,
            kind="bundle",
            bundle_amount=900,
            bundle_months=3,
            ends_at=clock.now() + dt.timedelta(days=30),
            segments=["anonymous", "registered"],
        )
        self.spring = Offer.objects.create(
            code="spring",
            headline="A week free",
            plan=self.monthly,
            kind="trial",
            trial_days=7,
            segments=["anonymous", "registered"],
            channel="code",
            public_code="SPRING",
        )


@pytest.fixture
def catalogue(db):
    return Catalogue()


# Last: lifecycle's helpers import the cards above.
from masthead.billing.tests.lifecycle import notices  # noqa: E402, F401 - a fixture for every billing test
