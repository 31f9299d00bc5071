"""The meter's decision, for every reason, and its guarantees as properties."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.metering.decision import (
    ArticleFacts,
    Decision,
    MeterPlan,
    MeterState,
    Prompt,
    ReaderFacts,
    Reason,
    decide,
    meter_step,
    plan,
)
from masthead.metering.rules import Allowance, Rules, Segment

NOW = dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
RULES = Rules(version=7)  # anonymous 5, registered 10, payment failed 5, former 5
METERED, FREE, SUBS = ArticleFacts(1, "metered"), ArticleFacts(2, "free"), ArticleFacts(3, "subscribers")
ANON = ReaderFacts(Segment.ANONYMOUS)
REGISTERED = ReaderFacts(Segment.REGISTERED)
FAILED = ReaderFacts(Segment.PAYMENT_FAILED)
FORMER = ReaderFacts(Segment.FORMER_SUBSCRIBER)
SUBSCRIBER = ReaderFacts(Segment.SUBSCRIBER)
CRAWLER = ReaderFacts(Segment.ANONYMOUS, verified_crawler=True)


FRESH = MeterState(0, False)


def run(article, reader, state=FRESH, rules=RULES, referral=None):
    outcome = plan(article, reader, rules, NOW, TOKYO)
    if isinstance(outcome, Decision):
        return outcome
    return decide(article, reader, rules, outcome, state, referral)


@pytest.mark.parametrize(
    ("article", "reader", "state", "allowed", "reason", "prompt"),
    [
        (FREE, ANON, MeterState(5, False), True, Reason.FREE_ARTICLE, None),
        (METERED, SUBSCRIBER, MeterState(99, False), True, Reason.SUBSCRIBER, None),
        (SUBS, SUBSCRIBER, MeterState(0, False), True, Reason.SUBSCRIBER, None),
        (METERED, CRAWLER, MeterState(5, False), True, Reason.VERIFIED_CRAWLER, None),
        (SUBS, CRAWLER, MeterState(0, False), True, Reason.VERIFIED_CRAWLER, None),
        (METERED, ANON, MeterState(5, True), True, Reason.ALREADY_READ, None),
        (METERED, ANON, MeterState(4, False), True, Reason.WITHIN_METER, None),
        (METERED, ANON, MeterState(5, False), False, Reason.METER_EXHAUSTED, Prompt.SUBSCRIBE_OR_LOG_IN),
        (METERED, REGISTERED, MeterState(9, False), True, Reason.WITHIN_METER, None),
        (METERED, REGISTERED, MeterState(10, False), False, Reason.METER_EXHAUSTED, Prompt.SUBSCRIBE),
        (METERED, FAILED, MeterState(5, False), False, Reason.PAYMENT_FAILED, Prompt.UPDATE_PAYMENT),
        (METERED, FORMER, MeterState(5, False), False, Reason.METER_EXHAUSTED, Prompt.RESUBSCRIBE),
        (SUBS, ANON, MeterState(0, False), False, Reason.SUBSCRIBERS_ONLY, Prompt.SUBSCRIBERS_ONLY),
        (SUBS, REGISTERED, MeterState(0, False), False, Reason.SUBSCRIBERS_ONLY, Prompt.SUBSCRIBERS_ONLY),
        (SUBS, FAILED, MeterState(0, False), False, Reason.SUBSCRIBERS_ONLY, Prompt.UPDATE_PAYMENT),
    ],
)
def test_it_decides_for_every_reason(article, reader, state, allowed, reason, prompt):
    decision = run(article, reader, state)
    assert (decision.allowed, decision.reason, decision.prompt) == (allowed, reason, prompt)
    assert decision.rules_version == 7


def test_the_registration_wall_comes_before_the_anonymous_limit():
    rules = Rules(registration_wall_after=3)
    assert run(METERED, ANON, MeterState(2, False), rules).allowed
    walled = run(METERED, ANON, MeterState(3, False), rules)
    assert (walled.allowed, walled.reason, walled.prompt) == (False, Reason.REGISTRATION_WALL, Prompt.REGISTER)
    # Registered readers are past the wall and use their own allowance.
    assert run(METERED, REGISTERED, MeterState(3, False), rules).allowed


def test_the_referral_allowance_is_capped_and_off_by_default():
    from_search = ReaderFacts(Segment.ANONYMOUS, from_referral=True)
    assert plan(METERED, from_search, RULES, NOW, TOKYO).referral_window is None
    rules = Rules(referral_daily_allowance=2)
    meter_plan = plan(METERED, from_search, rules, NOW, TOKYO)
    assert meter_plan.referral_window.key.startswith("ref-d")
    full = MeterState(5, False)
    assert run(METERED, from_search, full, rules, referral=MeterState(1, False)).reason == Reason.REFERRAL
    spent = run(METERED, from_search, full, rules, referral=MeterState(2, False))
    assert (spent.allowed, spent.reason) == (False, Reason.METER_EXHAUSTED)


@pytest.mark.parametrize(
    ("used_before", "remaining", "countdown", "last_free"),
    [(0, 4, False, False), (2, 2, True, False), (3, 1, True, False), (4, 0, True, True)],
)
def test_it_counts_down_and_flags_the_last_free_article(used_before, remaining, countdown, last_free):
    decision = run(METERED, ANON, MeterState(used_before, False))
    assert decision.remaining == remaining
    assert decision.show_countdown is countdown
    assert decision.last_free is last_free


def test_a_reread_is_not_the_last_free_article():
    decision = run(METERED, ANON, MeterState(5, True))
    assert decision.allowed and not decision.counted and not decision.last_free


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (Rules(registration_wall_after=6), "registration_wall_after"),
        (Rules(allowances={**Rules().allowances, Segment.ANONYMOUS: Allowance(-1)}), "anonymous"),
        (Rules(referral_daily_allowance=1000), "referral_daily_allowance"),
        (Rules(lead_in_paragraphs=0), "lead_in_paragraphs"),
    ],
)
def test_it_explains_unusable_rules(rules, field):
    assert field in rules.problems()


def test_the_default_rules_are_usable():
    assert Rules().problems() == {}


# --- Properties ---------------------------------------------------------------------------

reads = st.lists(st.integers(min_value=1, max_value=30), max_size=80)


@given(sequence=reads, limit=st.integers(min_value=0, max_value=12))
def test_never_more_than_the_limit_of_distinct_articles_unlock(sequence, limit):
    counted: set[int] = set()
    unlocked: set[int] = set()
    rules = Rules(allowances={**Rules().allowances, Segment.ANONYMOUS: Allowance(limit)})
    for article_id in sequence:
        state = MeterState(len(counted), article_id in counted)
        decision = run(ArticleFacts(article_id, "metered"), ANON, state, rules)
        granted, _ = meter_step(state.used, state.already_read, limit)
        assert decision.allowed == granted
        if decision.allowed:
            unlocked.add(article_id)
            counted.add(article_id)
    assert len(unlocked) <= limit


@given(sequence=reads, limit=st.integers(min_value=1, max_value=12))
def test_rereading_is_always_free(sequence, limit):
    counted: set[int] = set()
    for article_id in sequence:
        before = len(counted)
        granted, after = meter_step(before, article_id in counted, limit)
        if article_id in counted:
            assert granted and after == before
        elif granted:
            counted.add(article_id)


@given(used=st.integers(0, 50), already=st.booleans(), segment=st.sampled_from(list(Segment)))
def test_free_articles_never_cost_anything(used, already, segment):
    decision = run(FREE, ReaderFacts(segment), MeterState(used, already))
    assert decision.allowed and not decision.counted and decision.used is None


@given(used=st.integers(0, 50), segment=st.sampled_from([s for s in Segment if s != Segment.SUBSCRIBER]))
def test_subscribers_only_stories_are_never_free(used, segment):
    assert not run(SUBS, ReaderFacts(segment), MeterState(used, False)).allowed


def test_the_plan_names_the_window_and_limit():
    meter_plan = plan(METERED, REGISTERED, RULES, NOW, TOKYO)
    assert isinstance(meter_plan, MeterPlan)
    assert (meter_plan.window.key, meter_plan.limit) == ("m202611", 10)


@given(
    limits=st.lists(st.integers(min_value=0, max_value=8), min_size=2, max_size=4),
    countdowns=st.lists(st.integers(min_value=0, max_value=4), min_size=2, max_size=4),
    calls=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3),  # which rules
            st.sampled_from([s for s in Segment if s != Segment.SUBSCRIBER]),
            st.integers(min_value=0, max_value=10),  # used
            st.booleans(),  # already read
        ),
        max_size=40,
    ),
)
def test_a_repeated_plan_or_decision_is_the_same_as_a_fresh_one(limits, countdowns, calls):
    # Several rules objects share one version number but differ: a decision made under one
    # must never be handed out under another.
    rulesets = [
        Rules(
            version=1,
            allowances={s: Allowance(limit=limit) for s in Segment if s != Segment.SUBSCRIBER},
            countdown_from=countdown,
        )
        for limit, countdown in zip(limits, countdowns, strict=False)
    ]
    for which, segment, used, already in calls:
        rules = rulesets[which % len(rulesets)]
        reader = ReaderFacts(segment)
        limit = rules.allowance(segment).limit
        outcome = plan(METERED, reader, rules, NOW, TOKYO)
        assert outcome.limit == limit
        state = MeterState(used, already)
        got = decide(METERED, reader, rules, outcome, state)
        granted, used_after = meter_step(used, already, limit)
        assert got.allowed == granted
        assert (got.used, got.limit, got.countdown_from) == (used_after, limit, rules.countdown_from)
        assert got.rules_version == rules.version
