"""Offer pricing: (plan, offer, start) -> the schedule of charges. Pure: no ORM, no clock.

INTERFACE (implementation pending): see the docstrings; callers rely on these names.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class Interval(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"


class OfferKind(enum.StrEnum):
    INTRO_PRICE = "intro_price"  # intro_amount for the first intro_periods billing periods, then the list price
    BUNDLE = "bundle"  # bundle_amount once, up front, for bundle_months; then the list price per period
    TRIAL = "trial"  # trial_days free; then the list price per period
    PERCENT_OFF = "percent_off"  # percent_off % off for discount_periods periods
    AMOUNT_OFF = "amount_off"  # amount_off minor units off for discount_periods periods


class PhaseKind(enum.StrEnum):
    TRIAL = "trial"
    INTRO = "intro"
    BUNDLE = "bundle"
    DISCOUNT = "discount"
    LIST = "list"


@dataclass(frozen=True)
class PlanTerms:
    amount: int  # minor units per billing period
    currency: str  # ISO 4217, upper case
    interval: Interval = Interval.MONTH
    interval_count: int = 1


@dataclass(frozen=True)
class OfferTerms:
    kind: OfferKind
    intro_amount: int = 0
    intro_periods: int = 0
    bundle_amount: int = 0
    bundle_months: int = 0
    trial_days: int = 0
    percent_off: int = 0
    amount_off: int = 0
    discount_periods: int = 0


@dataclass(frozen=True)
class Charge:
    index: int  # 0 is the charge at checkout
    due: dt.datetime  # == period_start
    period_start: dt.datetime
    period_end: dt.datetime
    amount: int  # minor units, never negative
    currency: str
    phase: PhaseKind


@dataclass(frozen=True)
class Phase:
    kind: PhaseKind
    amount: int  # per charge in this phase
    starts: dt.datetime
    ends: dt.datetime | None  # None: the list price, forever
    charges: int | None  # number of charges in the phase; None: forever


@dataclass(frozen=True)
class Schedule:
    plan: PlanTerms
    offer: OfferTerms | None
    start: dt.datetime
    phases: tuple[Phase, ...]

    def charge(self, index: int) -> Charge:
        """The index-th charge (0 = at checkout)."""
        raise NotImplementedError

    def charges(self, count: int) -> tuple[Charge, ...]:
        raise NotImplementedError

    @property
    def due_now(self) -> Charge:
        return self.charge(0)


def schedule(plan: PlanTerms, offer: OfferTerms | None, start: dt.datetime) -> Schedule:
    """The schedule of charges for a subscription to ``plan`` through ``offer`` starting at ``start`` (aware UTC)."""
    raise NotImplementedError


def add_months(anchor: dt.datetime, months: int) -> dt.datetime:
    """``anchor`` plus ``months`` calendar months, clamped to the month's last day (Jan 31 + 1 = Feb 28/29)."""
    raise NotImplementedError
