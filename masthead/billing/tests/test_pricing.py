"""Offers price a subscription as advertised: the intro, then the list price, on dates counted from one anchor."""

import calendar
import dataclasses
import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.billing.pricing import (
    Interval,
    OfferKind,
    OfferTerms,
    PhaseKind,
    PlanTerms,
    add_months,
    describe,
    schedule,
)

UTC = dt.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
MONTHLY = PlanTerms(1500, "USD")
YEARLY = PlanTerms(15000, "USD", Interval.YEAR)
QUARTERLY = PlanTerms(4000, "USD", Interval.MONTH, 3)
L = PhaseKind.LIST
# Hypothesis takes naive bounds and attaches the zone itself.
YEAR_1990, YEAR_2000 = dt.datetime(1990, 1, 1), dt.datetime(2000, 1, 1)  # noqa: DTZ001
YEAR_2100, YEAR_2200 = dt.datetime(2100, 1, 1), dt.datetime(2200, 1, 1)  # noqa: DTZ001


def at(day: str, time: str = "12:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=UTC)


def intro(amount, periods):
    return OfferTerms(OfferKind.INTRO_PRICE, intro_amount=amount, intro_periods=periods)


def bundle(amount, months):
    return OfferTerms(OfferKind.BUNDLE, bundle_amount=amount, bundle_months=months)


def trial(days):
    return OfferTerms(OfferKind.TRIAL, trial_days=days)


def percent(off, periods):
    return OfferTerms(OfferKind.PERCENT_OFF, percent_off=off, discount_periods=periods)


def amount_off(off, periods):
    return OfferTerms(OfferKind.AMOUNT_OFF, amount_off=off, discount_periods=periods)


# -- add_months ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        ("2027-01-31", 1, "2027-02-28"),  # clamped to February's last day
        ("2028-01-31", 1, "2028-02-29"),  # ... which is the 29th in a leap year
        ("2027-01-31", 2, "2027-03-31"),  # and back to the 31st: counted from the anchor, not from Feb 28
        ("2027-01-31", 3, "2027-04-30"),
        ("2027-01-30", 1, "2027-02-28"),
        ("2027-01-28", 1, "2027-02-28"),
        ("2027-01-31", 12, "2028-01-31"),
        ("2027-12-15", 1, "2028-01-15"),  # across the year
        ("2028-02-29", 12, "2029-02-28"),
        ("2028-02-29", 48, "2032-02-29"),
        ("2027-03-31", -1, "2027-02-28"),
        ("2027-01-15", 0, "2027-01-15"),
    ],
)
def test_it_adds_calendar_months_clamped_to_the_month_end(anchor, months, expected):
    assert add_months(at(anchor, "13:45:10.123456"), months) == at(expected, "13:45:10.123456")


def test_it_keeps_the_time_zone():
    anchor = dt.datetime(2027, 1, 31, 9, tzinfo=NEW_YORK)
    assert add_months(anchor, 1) == dt.datetime(2027, 2, 28, 9, tzinfo=NEW_YORK)
    assert add_months(anchor, 1).tzinfo is NEW_YORK


def test_it_refuses_a_naive_anchor():
    with pytest.raises(ValueError, match="naive"):
        add_months(dt.datetime(2027, 1, 31), 1)  # noqa: DTZ001


def test_chaining_would_drift_which_is_why_schedules_count_from_the_anchor():
    assert add_months(add_months(at("2027-01-31"), 1), 1) == at("2027-03-28")
    assert add_months(at("2027-01-31"), 2) == at("2027-03-31")


@given(
    anchor=st.datetimes(YEAR_1990, YEAR_2200, timezones=st.just(UTC)),
    months=st.integers(0, 600),
)
def test_add_months_lands_on_the_anchor_day_or_the_month_end(anchor, months):
    moved = add_months(anchor, months)
    assert (moved.year * 12 + moved.month) - (anchor.year * 12 + anchor.month) == months
    assert moved.day == min(anchor.day, calendar.monthrange(moved.year, moved.month)[1])
    assert (moved.time(), moved.tzinfo) == (anchor.time(), anchor.tzinfo)
    assert add_months(anchor, months + 1) > moved


# -- schedule -----------------------------------------------------------------------------------------------------

# Each expected charge is (period start, period end, amount, phase); every period starts at noon UTC.
SCHEDULES = {
    "no offer, from a 31st": (
        MONTHLY,
        None,
        "2027-01-31",
        [
            ("2027-01-31", "2027-02-28", 1500, L),
            ("2027-02-28", "2027-03-31", 1500, L),
            ("2027-03-31", "2027-04-30", 1500, L),
        ],
    ),
    "no offer, from a 31st in a leap year": (
        MONTHLY,
        None,
        "2028-01-31",
        [("2028-01-31", "2028-02-29", 1500, L), ("2028-02-29", "2028-03-31", 1500, L)],
    ),
    "$0.99 for the first month, then $15 a month": (
        MONTHLY,
        intro(99, 1),
        "2027-01-29",
        [
            ("2027-01-29", "2027-02-28", 99, PhaseKind.INTRO),
            ("2027-02-28", "2027-03-29", 1500, L),  # back to the 29th after February
            ("2027-03-29", "2027-04-29", 1500, L),
        ],
    ),
    "$0.99 a month for 3 months": (
        MONTHLY,
        intro(99, 3),
        "2027-01-31",
        [
            ("2027-01-31", "2027-02-28", 99, PhaseKind.INTRO),
            ("2027-02-28", "2027-03-31", 99, PhaseKind.INTRO),
            ("2027-03-31", "2027-04-30", 99, PhaseKind.INTRO),
            ("2027-04-30", "2027-05-31", 1500, L),
        ],
    ),
    "3 months for $9, then monthly": (
        MONTHLY,
        bundle(900, 3),
        "2027-01-31",
        [
            ("2027-01-31", "2027-04-30", 900, PhaseKind.BUNDLE),  # one charge for the whole bundle
            ("2027-04-30", "2027-05-31", 1500, L),  # the list periods still count from Jan 31
            ("2027-05-31", "2027-06-30", 1500, L),
        ],
    ),
    "a 14-day trial, then monthly from the trial's end": (
        MONTHLY,
        trial(14),
        "2027-01-17",
        [
            ("2027-01-17", "2027-01-31", 0, PhaseKind.TRIAL),
            ("2027-01-31", "2027-02-28", 1500, L),  # anchored on the trial's end, the 31st
            ("2027-02-28", "2027-03-31", 1500, L),
        ],
    ),
    "15% off 999 for 2 months, rounded half up": (
        PlanTerms(999, "USD"),
        percent(15, 2),
        "2027-03-01",
        [
            ("2027-03-01", "2027-04-01", 849, PhaseKind.DISCOUNT),  # 149.85 off, rounded to 150
            ("2027-04-01", "2027-05-01", 849, PhaseKind.DISCOUNT),
            ("2027-05-01", "2027-06-01", 999, L),
        ],
    ),
    "50% off 999 rounds the half cent of discount up": (
        PlanTerms(999, "USD"),
        percent(50, 1),
        "2027-03-01",
        [("2027-03-01", "2027-04-01", 499, PhaseKind.DISCOUNT), ("2027-04-01", "2027-05-01", 999, L)],
    ),
    "100% off is free, not negative": (
        MONTHLY,
        percent(100, 1),
        "2027-03-01",
        [("2027-03-01", "2027-04-01", 0, PhaseKind.DISCOUNT), ("2027-04-01", "2027-05-01", 1500, L)],
    ),
    "$5 off the first month": (
        MONTHLY,
        amount_off(500, 1),
        "2027-03-01",
        [("2027-03-01", "2027-04-01", 1000, PhaseKind.DISCOUNT), ("2027-04-01", "2027-05-01", 1500, L)],
    ),
    "more off than the price is free": (
        MONTHLY,
        amount_off(2000, 2),
        "2027-03-01",
        [
            ("2027-03-01", "2027-04-01", 0, PhaseKind.DISCOUNT),
            ("2027-04-01", "2027-05-01", 0, PhaseKind.DISCOUNT),
            ("2027-05-01", "2027-06-01", 1500, L),
        ],
    ),
    "yearly, from Feb 29": (
        YEARLY,
        None,
        "2028-02-29",
        [
            ("2028-02-29", "2029-02-28", 15000, L),
            ("2029-02-28", "2030-02-28", 15000, L),
            ("2030-02-28", "2031-02-28", 15000, L),
            ("2031-02-28", "2032-02-29", 15000, L),  # the next leap year has the 29th again
        ],
    ),
    "yearly, with an intro price for the first year": (
        YEARLY,
        intro(5000, 1),
        "2027-06-15",
        [("2027-06-15", "2028-06-15", 5000, PhaseKind.INTRO), ("2028-06-15", "2029-06-15", 15000, L)],
    ),
    "quarterly, from Nov 30": (
        QUARTERLY,
        None,
        "2027-11-30",
        [("2027-11-30", "2028-02-29", 4000, L), ("2028-02-29", "2028-05-30", 4000, L)],
    ),
    "quarterly after a 2-month bundle": (
        QUARTERLY,
        bundle(500, 2),
        "2027-01-31",
        [
            ("2027-01-31", "2027-03-31", 500, PhaseKind.BUNDLE),
            ("2027-03-31", "2027-06-30", 4000, L),
            ("2027-06-30", "2027-09-30", 4000, L),
        ],
    ),
}


@pytest.mark.parametrize(("plan", "offer", "start", "expected"), SCHEDULES.values(), ids=SCHEDULES.keys())
def test_it_schedules_the_charges_an_offer_advertises(plan, offer, start, expected):
    charges = schedule(plan, offer, at(start)).charges(len(expected))
    got = [(c.period_start, c.period_end, c.amount, c.phase) for c in charges]
    assert got == [(at(s), at(e), amount, phase) for s, e, amount, phase in expected]
    assert [c.index for c in charges] == list(range(len(expected)))
    assert all(c.due == c.period_start and c.currency == plan.currency for c in charges)


def test_it_charges_the_intro_at_checkout_and_knows_where_the_list_price_starts():
    plan = schedule(MONTHLY, intro(99, 3), at("2027-01-31"))
    assert plan.due_now == plan.charge(0)
    assert plan.due_now.amount == 99
    assert (plan.intro_charges, plan.intro_total) == (3, 297)
    assert plan.first_list_charge.index == 3
    assert plan.first_list_charge.due == at("2027-04-30")


def test_without_an_offer_the_list_price_starts_at_once():
    plan = schedule(MONTHLY, None, at("2027-01-31"))
    assert (plan.intro_phase, plan.intro_charges, plan.intro_total) == (None, 0, 0)
    assert plan.first_list_charge.index == 0


def test_it_reaches_far_charges_directly():
    plan = schedule(MONTHLY, intro(99, 1), at("2027-01-31"))
    assert plan.charge(1200).period_start == at("2127-01-31")
    assert plan.charge(1201).period_start == at("2127-02-28")


def test_it_refuses_a_negative_index():
    with pytest.raises(IndexError):
        schedule(MONTHLY, None, at("2027-01-31")).charge(-1)


def test_it_counts_in_utc_whatever_zone_the_start_is_given_in():
    start = dt.datetime(2027, 1, 30, 21, tzinfo=NEW_YORK)  # 02:00 UTC on the 31st
    charges = schedule(MONTHLY, None, start).charges(2)
    assert charges[1].period_start == dt.datetime(2027, 2, 28, 2, tzinfo=UTC)
    assert charges[1].period_start.tzinfo is UTC


def test_it_refuses_a_naive_start():
    with pytest.raises(ValueError, match="naive"):
        schedule(MONTHLY, None, dt.datetime(2027, 1, 31))  # noqa: DTZ001


# -- validation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "problem"),
    [
        (PlanTerms(-1, "USD"), "can't be negative"),
        (PlanTerms(9.99, "USD"), "whole number of cents"),
        (PlanTerms(1500, "usd"), "ISO 4217"),
        (PlanTerms(1500, "US"), "ISO 4217"),
        (PlanTerms(1500, "USD", "week"), "month or year"),
        (PlanTerms(1500, "USD", Interval.MONTH, 0), "at least 1"),
    ],
)
def test_it_explains_what_is_wrong_with_a_plan(plan, problem):
    [message] = plan.problems()
    assert problem in message


@pytest.mark.parametrize(
    ("offer", "problem"),
    [
        (intro(-1, 1), "introductory price can't be negative"),
        (intro(99, 0), "number of introductory periods must be at least 1"),
        (bundle(900, 0), "number of months in the bundle must be at least 1"),
        (bundle(-900, 3), "bundle price can't be negative"),
        (trial(0), "number of trial days must be at least 1"),
        (percent(0, 1), "between 1 and 100"),
        (percent(101, 1), "between 1 and 100"),
        (percent(15, 0), "number of discounted periods must be at least 1"),
        (amount_off(0, 1), "amount off must be at least 1"),
        (amount_off(500, -1), "number of discounted periods can't be negative"),
        (OfferTerms(OfferKind.TRIAL, trial_days=14, intro_amount=99), "introductory price doesn't apply to free trial"),
        (OfferTerms(OfferKind.BUNDLE, bundle_amount=900, bundle_months=3.5), "must be a whole number"),
        (OfferTerms(OfferKind.TRIAL, trial_days=14, currency="EUR"), "priced in EUR but its plan in USD"),
        (OfferTerms("coupon"), "kind of offer must be one of"),
    ],
)
def test_it_explains_what_is_wrong_with_an_offer(offer, problem):
    [message] = offer.problems(MONTHLY)
    assert problem in message


@pytest.mark.parametrize(
    "offer",
    [intro(0, 1), intro(99, 1), bundle(900, 3), trial(14), percent(1, 1), percent(100, 12), amount_off(1, 1)],
)
def test_usable_terms_have_no_problems(offer):
    assert offer.problems() == offer.problems(MONTHLY) == []
    assert dataclasses.replace(offer, currency="USD").problems(MONTHLY) == []


def test_it_refuses_to_schedule_bad_terms_and_lists_every_problem():
    with pytest.raises(ValueError, match="Invalid pricing terms") as raised:
        schedule(PlanTerms(-1, "USD"), OfferTerms(OfferKind.PERCENT_OFF, percent_off=150), at("2027-01-31"))
    for problem in ["price can't be negative", "between 1 and 100", "discounted periods must be at least 1"]:
        assert problem in str(raised.value)


def test_every_kind_and_interval_has_a_label_for_the_admin():
    assert [i.label for i in Interval] == ["Month", "Year"]
    assert all(kind.label for kind in OfferKind)


# -- describe -----------------------------------------------------------------------------------------------------

DESCRIPTIONS = {
    "$0.99 then monthly": (
        MONTHLY,
        intro(99, 1),
        "2026-12-29",
        [
            "$0.99 today for your first month.",
            "Then $15.00 a month from January 29, 2027.",
            "Renews automatically until you cancel.",
        ],
    ),
    "an intro over several months": (
        MONTHLY,
        intro(99, 3),
        "2027-01-31",
        ["$0.99 a month for your first 3 months, starting today.", "Then $15.00 a month from April 30, 2027."],
    ),
    "a bundle": (
        MONTHLY,
        bundle(900, 3),
        "2027-01-31",
        ["$9.00 today for your first 3 months.", "Then $15.00 a month from April 30, 2027."],
    ),
    "a trial": (
        MONTHLY,
        trial(14),
        "2027-01-17",
        ["Nothing to pay today: your first 14 days are free.", "Then $15.00 a month from January 31, 2027."],
    ),
    "a one-day trial": (MONTHLY, trial(1), "2027-01-17", ["Nothing to pay today: your first day is free."]),
    "a free month": (MONTHLY, intro(0, 1), "2027-01-17", ["Nothing to pay today: your first month is free."]),
    "a free year": (MONTHLY, percent(100, 12), "2027-01-17", ["Nothing to pay today: your first year is free."]),
    "a percentage off": (
        PlanTerms(999, "USD"),
        percent(15, 3),
        "2027-01-17",
        ["$8.49 a month for your first 3 months (15% off), starting today.", "Then $9.99 a month from April 17, 2027."],
    ),
    "an amount off": (MONTHLY, amount_off(500, 1), "2027-01-17", ["$10.00 today for your first month ($5.00 off)."]),
    "no offer": (
        MONTHLY,
        None,
        "2027-01-31",
        ["$15.00 today for your first month.", "Then $15.00 a month from February 28, 2027."],
    ),
    "no offer, yearly": (
        YEARLY,
        None,
        "2027-01-31",
        ["$150.00 today for your first year.", "Then $150.00 a year from January 31, 2028."],
    ),
    "no offer, quarterly": (
        QUARTERLY,
        None,
        "2027-01-31",
        ["$40.00 today for your first 3 months.", "Then $40.00 every 3 months from April 30, 2027."],
    ),
    "quarterly intro over two quarters": (
        QUARTERLY,
        intro(1000, 2),
        "2027-01-31",
        ["$10.00 every 3 months for your first 6 months, starting today."],
    ),
    "in yen": (PlanTerms(900, "JPY"), intro(100, 1), "2027-01-31", ["¥100 today for your first month."]),
}


@pytest.mark.parametrize(("plan", "offer", "start", "sentences"), DESCRIPTIONS.values(), ids=DESCRIPTIONS.keys())
def test_it_states_the_terms_in_plain_words(plan, offer, start, sentences):
    summary = describe(schedule(plan, offer, at(start)), tz=UTC)
    assert list(summary.sentences[: len(sentences)]) == sentences
    assert summary.sentences[-1] == "Renews automatically until you cancel."


def test_it_gives_the_checkout_page_each_figure():
    summary = describe(schedule(MONTHLY, intro(99, 1), at("2026-12-29")), tz=UTC)
    assert (summary.due_now, summary.due_now_text, summary.currency) == (99, "$0.99", "USD")
    assert summary.intro == "$0.99 for your first month"
    assert (summary.list_amount, summary.list_amount_text) == (1500, "$15.00")
    assert (summary.interval, summary.recurring) == ("a month", "$15.00 a month")
    assert summary.first_list_charge_at == at("2027-01-29")
    assert summary.first_list_charge_date == "January 29, 2027"
    assert (summary.next_charge_at, summary.next_charge_amount) == (at("2027-01-29"), 1500)


def test_without_an_offer_there_is_no_intro_and_the_list_price_starts_today():
    summary = describe(schedule(MONTHLY, None, at("2027-01-31")), tz=UTC)
    assert summary.intro is None
    assert summary.first_list_charge_at == at("2027-01-31")
    assert summary.next_charge_at == at("2027-02-28")


def test_it_shows_dates_in_the_publications_zone():
    # 03:00 UTC on Feb 28 is still the evening of Feb 27 in New York.
    summary = describe(schedule(MONTHLY, None, at("2027-01-28", "03:00")), tz=NEW_YORK)
    assert summary.sentences[1] == "Then $15.00 a month from February 27, 2027."


# -- properties ---------------------------------------------------------------------------------------------------

plans = st.builds(
    PlanTerms,
    amount=st.integers(0, 100_000),
    currency=st.sampled_from(["USD", "EUR", "JPY"]),
    interval=st.sampled_from(Interval),
    interval_count=st.integers(1, 4),
)
offers = st.one_of(
    st.none(),
    st.builds(intro, st.integers(0, 10_000), st.integers(1, 12)),
    st.builds(bundle, st.integers(0, 10_000), st.integers(1, 24)),
    st.builds(trial, st.integers(1, 90)),
    st.builds(percent, st.integers(1, 100), st.integers(1, 12)),
    st.builds(amount_off, st.integers(1, 200_000), st.integers(1, 12)),
)
starts = st.datetimes(YEAR_2000, YEAR_2100, timezones=st.just(UTC))


def advertised_intro_total(plan, offer):
    """What the offer promises in total, worked out independently of the scheduler."""
    if offer is None or offer.kind == OfferKind.TRIAL:
        return 0
    if offer.kind == OfferKind.INTRO_PRICE:
        return offer.intro_amount * offer.intro_periods
    if offer.kind == OfferKind.BUNDLE:
        return offer.bundle_amount
    if offer.kind == OfferKind.PERCENT_OFF:
        off = (Decimal(plan.amount) * offer.percent_off / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return (plan.amount - int(off)) * offer.discount_periods
    return max(0, plan.amount - offer.amount_off) * offer.discount_periods


@given(plan=plans, offer=offers, start=starts)
def test_schedules_keep_their_promises(plan, offer, start):
    plan_schedule = schedule(plan, offer, start)
    charges = plan_schedule.charges(plan_schedule.intro_charges + 6)
    assert charges[0].period_start == start
    for charge, following in zip(charges, charges[1:], strict=False):
        assert charge.period_end == following.period_start  # contiguous: no gap, no overlap
    for charge in charges:
        assert charge.period_start < charge.period_end
        assert charge.due == charge.period_start
        assert charge.amount >= 0
        assert (charge.phase == PhaseKind.LIST) == (charge.index >= plan_schedule.intro_charges)
        if charge.phase == PhaseKind.LIST:
            assert charge.amount == plan.amount
    # Month-counted periods land on the anchor's day, or the month's last day when it is shorter.
    anchor = start + dt.timedelta(days=offer.trial_days) if offer and offer.kind == OfferKind.TRIAL else start
    for charge in charges:
        if charge.phase != PhaseKind.TRIAL:
            boundary = charge.period_start
            assert boundary.day == min(anchor.day, calendar.monthrange(boundary.year, boundary.month)[1])
            assert boundary.time() == anchor.time()
    intro_total = sum(c.amount for c in charges[: plan_schedule.intro_charges])
    assert intro_total == plan_schedule.intro_total == advertised_intro_total(plan, offer)


@given(plan=plans, offer=offers, start=starts)
def test_the_description_matches_the_schedule(plan, offer, start):
    plan_schedule = schedule(plan, offer, start)
    summary = describe(plan_schedule, tz=NEW_YORK)
    assert summary.due_now == plan_schedule.due_now.amount
    assert summary.first_list_charge_at == plan_schedule.first_list_charge.due
    assert summary.next_charge_at == plan_schedule.charge(1).due
    assert len(summary.sentences) == 3
    assert all(sentence.endswith(".") for sentence in summary.sentences)
    assert (summary.intro is None) == (offer is None)
