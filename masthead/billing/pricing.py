"""Offer pricing: (plan, offer, start) -> the schedule of charges. Pure: no ORM, no clock.

A plan is a list price per billing period ($15.00 a month). An offer changes the first part of a subscription;
after it, the list price applies forever:

=================  ======================================================  =====================================
offer kind         charges                                                 reads as
=================  ======================================================  =====================================
(none)             plan.amount every period                                "$15.00 a month"
INTRO_PRICE        intro_amount for intro_periods periods, then list       "$0.99 for your first month"
BUNDLE             bundle_amount once for bundle_months, then list         "$9.00 for your first 3 months"
TRIAL              0 for trial_days days, then list                        "your first 14 days are free"
PERCENT_OFF        list less percent_off % for discount_periods periods    "$8.49 a month for 3 months (15% off)"
AMOUNT_OFF         list less amount_off for discount_periods periods       "$10.00 for your first month ($5 off)"
=================  ======================================================  =====================================

Every period boundary is ``add_months(anchor, n)`` for some n, counted from ONE anchor: the subscription's start
(or, after a trial, the trial's end). It is never "the previous boundary plus a month", which would drift: Jan 31
+ 1 month = Feb 28, and Feb 28 + 1 month = Mar 28, so the reader would be billed on the 28th forever after.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from dataclasses import dataclass

from masthead.lib.dates import format_newsroom_date
from masthead.lib.money import format_money


class Interval(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"

    @property
    def label(self) -> str:
        return self.value.title()

    @property
    def months(self) -> int:
        return 12 if self is Interval.YEAR else 1


class OfferKind(enum.StrEnum):
    INTRO_PRICE = "intro_price"  # intro_amount for the first intro_periods billing periods, then the list price
    BUNDLE = "bundle"  # bundle_amount once, up front, for bundle_months; then the list price per period
    TRIAL = "trial"  # trial_days free; then the list price per period
    PERCENT_OFF = "percent_off"  # percent_off % off for discount_periods periods
    AMOUNT_OFF = "amount_off"  # amount_off minor units off for discount_periods periods

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    OfferKind.INTRO_PRICE: "Introductory price",
    OfferKind.BUNDLE: "Bundle, paid up front",
    OfferKind.TRIAL: "Free trial",
    OfferKind.PERCENT_OFF: "Percentage off",
    OfferKind.AMOUNT_OFF: "Amount off",
}


class PhaseKind(enum.StrEnum):
    TRIAL = "trial"
    INTRO = "intro"
    BUNDLE = "bundle"
    DISCOUNT = "discount"
    LIST = "list"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class PlanTerms:
    amount: int  # minor units per billing period
    currency: str  # ISO 4217, upper case
    interval: Interval = Interval.MONTH
    interval_count: int = 1

    @property
    def period_months(self) -> int:
        """Calendar months in one billing period: 1 for monthly, 3 for quarterly, 12 for yearly."""
        return self.interval_count * Interval(self.interval).months

    def problems(self) -> list[str]:
        """What is wrong with these terms, as sentences for an editor; an empty list when they are usable."""
        problems = []
        if not _is_int(self.amount):
            problems.append(f"The price must be a whole number of cents (minor units), not {self.amount!r}.")
        elif self.amount < 0:
            problems.append(f"The price can't be negative (it is {self.amount}).")
        if not (isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isascii()):
            problems.append(f"The currency must be a three-letter ISO 4217 code such as USD, not {self.currency!r}.")
        elif not (self.currency.isalpha() and self.currency.isupper()):
            problems.append(f"The currency must be a three-letter ISO 4217 code such as USD, not {self.currency!r}.")
        if self.interval not in tuple(Interval):
            problems.append(f"The billing interval must be month or year, not {self.interval!r}.")
        if not _is_int(self.interval_count) or self.interval_count < 1:
            problems.append(
                f"The number of {self.interval}s per billing period must be at least 1, not {self.interval_count!r}."
            )
        return problems


# The fields each kind of offer uses, with the words an editor knows them by.
_FIELD_LABELS = {
    "intro_amount": "introductory price",
    "intro_periods": "number of introductory periods",
    "bundle_amount": "bundle price",
    "bundle_months": "number of months in the bundle",
    "trial_days": "number of trial days",
    "percent_off": "percentage off",
    "amount_off": "amount off",
    "discount_periods": "number of discounted periods",
}
_FIELDS_BY_KIND = {
    OfferKind.INTRO_PRICE: ("intro_amount", "intro_periods"),
    OfferKind.BUNDLE: ("bundle_amount", "bundle_months"),
    OfferKind.TRIAL: ("trial_days",),
    OfferKind.PERCENT_OFF: ("percent_off", "discount_periods"),
    OfferKind.AMOUNT_OFF: ("amount_off", "discount_periods"),
}
# Fields that must be at least 1 for the offer to mean anything; the amounts may be 0 (a free first month).
_AT_LEAST_ONE = ("intro_periods", "bundle_months", "trial_days", "discount_periods", "amount_off")


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
    # The currency of intro_amount, bundle_amount and amount_off; None means "the plan's". When set, it must
    # match the plan's, so an offer written in euros can never be attached to a dollar plan unnoticed.
    currency: str | None = None

    def problems(self, plan: PlanTerms | None = None) -> list[str]:
        """What is wrong with these terms (and with using them on ``plan``, when given), as sentences for an
        editor; an empty list when they are usable.

        Fields the kind doesn't use must be left at 0: a trial_days of 14 on an intro-price offer is a mistake
        that would otherwise be silently ignored.
        """
        if self.kind not in tuple(OfferKind):
            kinds = ", ".join(OfferKind)
            return [f"The kind of offer must be one of {kinds}, not {self.kind!r}."]
        kind = OfferKind(self.kind)
        used = _FIELDS_BY_KIND[kind]
        problems = []
        for name, label in _FIELD_LABELS.items():
            value = getattr(self, name)
            if not _is_int(value):
                problems.append(f"The {label} must be a whole number, not {value!r}.")
            elif name not in used and value != 0:
                problems.append(f"The {label} doesn't apply to {kind.label.lower()} offers; leave it at 0.")
            elif value < 0:
                problems.append(f"The {label} can't be negative (it is {value}).")
            elif name in used and name in _AT_LEAST_ONE and value < 1:
                problems.append(f"The {label} must be at least 1 for {kind.label.lower()} offers.")
        if kind is OfferKind.PERCENT_OFF and _is_int(self.percent_off) and not 1 <= self.percent_off <= 100:
            problems.append(f"The percentage off must be between 1 and 100 (it is {self.percent_off}).")
        if self.currency is not None and plan is not None and self.currency != plan.currency:
            problems.append(f"The offer is priced in {self.currency} but its plan in {plan.currency}.")
        return problems


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
    """A run of charges at one amount.

    Period ``j`` of a phase (0-based) is ``[add_months(anchor, first_month + j * months),
    add_months(anchor, first_month + (j + 1) * months))``. A phase with ``months == 0`` (a trial, counted in days)
    is a single charge covering ``[starts, ends)``.
    """

    kind: PhaseKind
    amount: int  # per charge in this phase
    starts: dt.datetime
    ends: dt.datetime | None  # None: the list price, forever
    charges: int | None  # number of charges in the phase; None: forever
    anchor: dt.datetime | None = None  # what the periods are counted from; None: ``starts``
    first_month: int = 0  # months from anchor to the start of the phase's first period
    months: int = 0  # calendar months per charge; 0: one charge for [starts, ends)

    def period(self, j: int) -> tuple[dt.datetime, dt.datetime]:
        """The ``j``-th period of this phase, as ``(start, end)``."""
        if self.months == 0:
            assert j == 0 and self.ends is not None, "a day-counted phase has exactly one period"
            return self.starts, self.ends
        anchor = self.anchor or self.starts
        return (
            add_months(anchor, self.first_month + j * self.months),
            add_months(anchor, self.first_month + (j + 1) * self.months),
        )


@dataclass(frozen=True)
class Schedule:
    plan: PlanTerms
    offer: OfferTerms | None
    start: dt.datetime
    phases: tuple[Phase, ...]  # the last one is the list price, forever

    def charge(self, index: int) -> Charge:
        """The index-th charge (0 = at checkout). Raises ``IndexError`` for a negative index."""
        if index < 0:
            raise IndexError(f"charge indices start at 0, not {index}")
        within = index
        for phase in self.phases:
            if phase.charges is None or within < phase.charges:
                period_start, period_end = phase.period(within)
                return Charge(
                    index, period_start, period_start, period_end, phase.amount, self.plan.currency, phase.kind
                )
            within -= phase.charges
        raise AssertionError("the last phase of a schedule is open-ended")  # pragma: no cover

    def charges(self, count: int) -> tuple[Charge, ...]:
        """The first ``count`` charges, from the one at checkout on."""
        return tuple(self.charge(i) for i in range(count))

    @property
    def due_now(self) -> Charge:
        return self.charge(0)

    @property
    def list_phase(self) -> Phase:
        return self.phases[-1]

    @property
    def intro_phase(self) -> Phase | None:
        """The offer's phase (trial, intro, bundle or discount), or None without an offer."""
        return self.phases[0] if len(self.phases) > 1 else None

    @property
    def intro_charges(self) -> int:
        """How many charges come before the first one at the list price (0 without an offer)."""
        return sum(phase.charges or 0 for phase in self.phases[:-1])

    @property
    def intro_total(self) -> int:
        """What the reader pays for the whole offer, before the list price starts (0 without an offer)."""
        return sum(phase.amount * (phase.charges or 0) for phase in self.phases[:-1])

    @property
    def first_list_charge(self) -> Charge:
        return self.charge(self.intro_charges)


def schedule(plan: PlanTerms, offer: OfferTerms | None, start: dt.datetime) -> Schedule:
    """The schedule of charges for a subscription to ``plan`` through ``offer`` starting at ``start`` (aware).

    ``start`` is converted to UTC, so every charge is in UTC. Raises ``ValueError`` listing every problem with the
    terms (see ``PlanTerms.problems`` and ``OfferTerms.problems``), or for a naive ``start``.
    """
    problems = plan.problems() + (offer.problems(plan) if offer is not None else [])
    if problems:
        raise ValueError("Invalid pricing terms: " + " ".join(problems))
    start = _utc(start)
    k = plan.period_months

    def recurring(kind: PhaseKind, amount: int, anchor: dt.datetime, first_month: int, charges: int | None) -> Phase:
        ends = None if charges is None else add_months(anchor, first_month + charges * k)
        return Phase(kind, amount, add_months(anchor, first_month), ends, charges, anchor, first_month, k)

    def then_list(anchor: dt.datetime, first_month: int) -> Phase:
        return recurring(PhaseKind.LIST, plan.amount, anchor, first_month, None)

    if offer is None:
        return Schedule(plan, offer, start, (then_list(start, 0),))
    kind = OfferKind(offer.kind)
    if kind is OfferKind.INTRO_PRICE:
        n = offer.intro_periods
        phases = (recurring(PhaseKind.INTRO, offer.intro_amount, start, 0, n), then_list(start, n * k))
    elif kind is OfferKind.BUNDLE:
        # One charge for the whole bundle; the list periods after it are still counted from the start, so a
        # bundle bought on Jan 31 is followed by a list period starting Apr 30 and the next on May 31.
        b = offer.bundle_months
        bundle = Phase(PhaseKind.BUNDLE, offer.bundle_amount, start, add_months(start, b), 1, start, 0, b)
        phases = (bundle, then_list(start, b))
    elif kind is OfferKind.TRIAL:
        # A trial is counted in whole days (24 hours each, in UTC), and the list periods are then counted from
        # the trial's end: a 14-day trial from Jan 17 bills on Jan 31, then Feb 28, Mar 31, ...
        trial_end = start + dt.timedelta(days=offer.trial_days)
        phases = (Phase(PhaseKind.TRIAL, 0, start, trial_end, 1), then_list(trial_end, 0))
    else:
        n = offer.discount_periods
        amount = max(0, plan.amount - discount(plan.amount, offer))
        phases = (recurring(PhaseKind.DISCOUNT, amount, start, 0, n), then_list(start, n * k))
    return Schedule(plan, offer, start, phases)


def discount(amount: int, offer: OfferTerms) -> int:
    """How much a PERCENT_OFF or AMOUNT_OFF offer takes off ``amount``, in minor units (never more than it).

    ROUNDING: a percentage discount is rounded half up to the minor unit, and the price is what is left, so the
    discount and the price always add up to the list price: 15% of 999 is 149.85, rounded to 150 off, so 849.
    """
    if offer.kind == OfferKind.AMOUNT_OFF:
        return min(amount, offer.amount_off)
    if offer.kind == OfferKind.PERCENT_OFF:
        # Integer arithmetic throughout: (amount * percent + 50) // 100 is round-half-up of amount * percent / 100
        # for the non-negative numbers we have here, with no float to misround 0.5.
        return min(amount, (amount * offer.percent_off + 50) // 100)
    return 0


def add_months(anchor: dt.datetime, months: int) -> dt.datetime:
    """``anchor`` plus ``months`` calendar months, clamped to the month's last day (Jan 31 + 1 = Feb 28/29).

    The time of day and tzinfo are kept. Raises ``ValueError`` for a naive ``anchor``.

    CLAMPING, AND WHY CALLERS ALWAYS PASS THE ORIGINAL ANCHOR: the day is ``min(anchor.day, days in the target
    month)``. The clamp loses information, so this must be called with the subscription's first date and the
    total number of months, never chained: add_months(Jan 31, 2) is Mar 31, but add_months(add_months(Jan 31, 1),
    1) is Mar 28.

    Wall-clock arithmetic: with a time zone that has DST, 09:00 stays 09:00 across the change. Billing passes UTC,
    where that question doesn't arise.
    """
    if anchor.tzinfo is None or anchor.utcoffset() is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    year, month0 = divmod(anchor.year * 12 + (anchor.month - 1) + months, 12)
    month = month0 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return moment.astimezone(dt.UTC)


# -- What the checkout page says --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleSummary:
    """What a reader must be told before paying: today's amount, the offer, and what it becomes, and when."""

    currency: str
    due_now: int  # minor units charged at checkout
    due_now_text: str  # "$0.99"
    intro: str | None  # "$0.99 for your first month"; None without an offer
    list_amount: int  # the list price per period
    list_amount_text: str  # "$15.00"
    interval: str  # "a month", "a year", "every 3 months"
    recurring: str  # "$15.00 a month"
    first_list_charge_at: dt.datetime  # when the list price is first charged (the start, without an offer)
    first_list_charge_date: str  # that date in the publication's zone: "January 29, 2027"
    next_charge_at: dt.datetime  # when the reader is charged after today
    next_charge_amount: int
    sentences: tuple[str, ...]  # the terms in plain words, in order


def describe(schedule: Schedule, *, tz: dt.tzinfo) -> ScheduleSummary:
    """The checkout page's statement of ``schedule``, with dates shown in ``tz`` (the publication's zone).

    A date shown is the local date of the instant the charge is due: a charge due 03:00 UTC on Jan 29 is shown
    as January 28 in New York, which is when it happens for a reader there.
    """
    plan, currency = schedule.plan, schedule.plan.currency

    def money(amount: int) -> str:
        return format_money(amount, currency)

    interval = _every(plan.period_months)
    recurring = f"{money(plan.amount)} {interval}"
    first_list, following = schedule.first_list_charge, schedule.charge(1)
    intro_phase = schedule.intro_phase
    if intro_phase is None:
        intro = None
        today = f"{money(plan.amount)} today for your first {_span(plan.period_months, 'month')}."
        then_at = following.due
    else:
        intro, today = _intro_words(schedule, intro_phase, money)
        then_at = first_list.due
    sentences = (
        today,
        f"Then {recurring} from {format_newsroom_date(then_at, tz)}.",
        "Renews automatically until you cancel.",
    )
    return ScheduleSummary(
        currency=currency,
        due_now=schedule.due_now.amount,
        due_now_text=money(schedule.due_now.amount),
        intro=intro,
        list_amount=plan.amount,
        list_amount_text=money(plan.amount),
        interval=interval,
        recurring=recurring,
        first_list_charge_at=first_list.due,
        first_list_charge_date=format_newsroom_date(first_list.due, tz),
        next_charge_at=following.due,
        next_charge_amount=following.amount,
        sentences=sentences,
    )


def _intro_words(schedule: Schedule, phase: Phase, money) -> tuple[str, str]:
    """The offer as a phrase ("$0.99 for your first month") and as today's sentence."""
    offer = schedule.offer
    assert offer is not None and phase.charges is not None
    if phase.kind is PhaseKind.TRIAL:
        span = _span(offer.trial_days, "day")
    else:
        span = _span(phase.charges * phase.months, "month")
    if phase.amount == 0:
        verb = "is" if span.split()[0] in {"day", "month", "year"} else "are"
        return f"Free for your first {span}", f"Nothing to pay today: your first {span} {verb} free."
    note = ""
    if offer.kind == OfferKind.PERCENT_OFF:
        note = f" ({offer.percent_off}% off)"
    elif offer.kind == OfferKind.AMOUNT_OFF:
        note = f" ({money(min(offer.amount_off, schedule.plan.amount))} off)"
    if phase.charges == 1:
        phrase = f"{money(phase.amount)} for your first {span}{note}"
        return phrase, f"{money(phase.amount)} today for your first {span}{note}."
    per = f"{money(phase.amount)} {_every(phase.months)}"
    return f"{per} for your first {span}{note}", f"{per} for your first {span}{note}, starting today."


def _span(count: int, unit: str) -> str:
    """ "month", "3 months", "year", "2 years", "14 days"; whole years are said in years."""
    if unit == "month" and count % 12 == 0:
        count, unit = count // 12, "year"
    return unit if count == 1 else f"{count} {unit}s"


def _every(months: int) -> str:
    """ "a month", "a year", "every 3 months", "every 2 years"."""
    span = _span(months, "month")
    return f"a {span}" if " " not in span else f"every {span}"
