"""The meter's decision: may this reader read this article in full, and if not, why.

Everything here is pure: no ORM, no request, no clock. The flow is

1. ``plan(article, reader, rules, now, zone)`` either settles the matter (a
   free article, a subscriber, a verified crawler, a subscribers-only story)
   or says which meter window to consult and with what limit;
2. the store records the view in one atomic step, following ``meter_step``,
   and reports the window's state as it found it;
3. ``decide(article, reader, rules, plan, state)`` turns that into a
   ``Decision``.

``meter_step`` is the whole rule a store applies atomically: a re-read is
free, a new article is counted only while the window is below its limit.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from dataclasses import dataclass

from masthead.metering.rules import Allowance, Rules, Segment, WindowKind
from masthead.metering.windows import Window, window_for


class Reason(enum.StrEnum):
    FREE_ARTICLE = "free_article"
    SUBSCRIBER = "subscriber"
    VERIFIED_CRAWLER = "verified_crawler"
    ALREADY_READ = "already_read"
    WITHIN_METER = "within_meter"
    REFERRAL = "referral"
    SUBSCRIBERS_ONLY = "subscribers_only"
    REGISTRATION_WALL = "registration_wall"
    METER_EXHAUSTED = "meter_exhausted"
    PAYMENT_FAILED = "payment_failed"


class Prompt(enum.StrEnum):
    SUBSCRIBE_OR_LOG_IN = "subscribe_or_log_in"  # anonymous, out of articles
    REGISTER = "register"  # the registration wall
    SUBSCRIBE = "subscribe"  # registered and out of articles
    UPDATE_PAYMENT = "update_payment"  # renewal failed
    RESUBSCRIBE = "resubscribe"  # former subscriber
    SUBSCRIBERS_ONLY = "subscribers_only"  # a story for subscribers only


@dataclass(frozen=True)
class ArticleFacts:
    id: int
    access: str  # "free", "metered" or "subscribers"


@dataclass(frozen=True)
class ReaderFacts:
    segment: Segment
    verified_crawler: bool = False
    from_referral: bool = False  # arrived from a search engine or social network


@dataclass(frozen=True)
class MeterState:
    """A window as the store found it, inside its atomic step, before this view."""

    used: int  # distinct articles already counted in the window
    already_read: bool  # this article is one of them


@functools.lru_cache(maxsize=256)
def meter_state(used: int, already_read: bool) -> MeterState:
    """The (immutable, so shared) ``MeterState`` for these counts: a store's answer, built once."""
    return MeterState(used, already_read)


@dataclass(frozen=True)
class MeterPlan:
    """Which window to consult, and the most it may hold."""

    window: Window
    limit: int
    wall: Reason  # the reason given when the window is full
    referral_window: Window | None = None
    referral_limit: int = 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    rules_version: int
    prompt: Prompt | None = None
    used: int | None = None  # metered articles counted in the window, this one included
    limit: int | None = None
    counted: bool = False  # this view used up one of the reader's articles
    countdown_from: int = 0

    @property
    def remaining(self) -> int | None:
        """Free articles left in the window; None when the meter does not apply."""
        if self.limit is None or self.used is None:
            return None
        return max(0, self.limit - self.used)

    @property
    def show_countdown(self) -> bool:
        """Show "n of N free articles left" (only on an article this reader may read)."""
        return self.allowed and self.remaining is not None and self.remaining <= self.countdown_from

    @property
    def last_free(self) -> bool:
        """This was the reader's last free article in the window."""
        return self.counted and self.remaining == 0


def meter_step(used: int, already_read: bool, limit: int) -> tuple[bool, int]:
    """The store's atomic rule: (granted, used afterwards)."""
    if already_read:
        return True, used
    if used < limit:
        return True, used + 1
    return False, used


_WALL_PROMPTS = {
    Segment.ANONYMOUS: Prompt.SUBSCRIBE_OR_LOG_IN,
    Segment.REGISTERED: Prompt.SUBSCRIBE,
    Segment.PAYMENT_FAILED: Prompt.UPDATE_PAYMENT,
    Segment.FORMER_SUBSCRIBER: Prompt.RESUBSCRIBE,
}


# Plans and decisions repeat: a process sees a few (rules, segment, window) combinations and
# a few meter counts, and both are immutable, so a metered page is handed the same instance
# again rather than one built anew (building them was a quarter of a Redis decision's CPU).
# Entries hold the rules, plan and window they were made from and are matched by identity,
# never by version number: two rules objects with the same version but different content never
# share an entry. Rolling windows, and referral plans, move with ``now`` and are not kept.
_plans: dict[tuple, tuple[Rules, Window, MeterPlan]] = {}
_decisions: dict[tuple, tuple[Rules, MeterPlan, Decision]] = {}
_MEMO_MAX = 1024


def _keep(memo: dict, key: tuple, value: tuple) -> None:
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[key] = value


def plan(article: ArticleFacts, reader: ReaderFacts, rules: Rules, now: dt.datetime, zone: dt.tzinfo):
    """A final ``Decision``, or the ``MeterPlan`` to run through the store."""
    version = rules.version
    if article.access == "free":
        return Decision(True, Reason.FREE_ARTICLE, version)
    if reader.segment == Segment.SUBSCRIBER:
        return Decision(True, Reason.SUBSCRIBER, version)
    if reader.verified_crawler:
        return Decision(True, Reason.VERIFIED_CRAWLER, version)
    if article.access == "subscribers":
        prompt = Prompt.UPDATE_PAYMENT if reader.segment == Segment.PAYMENT_FAILED else Prompt.SUBSCRIBERS_ONLY
        return Decision(False, Reason.SUBSCRIBERS_ONLY, version, prompt=prompt)

    allowance = rules.allowance(reader.segment)
    window = window_for(allowance, now, zone)
    referral = reader.from_referral and rules.referral_daily_allowance > 0
    kept = not referral and window.ends is not None
    if kept:
        key = (id(rules), reader.segment, id(window))
        found = _plans.get(key)
        if found is not None and found[0] is rules and found[1] is window:
            return found[2]
    limit, wall = allowance.limit, Reason.METER_EXHAUSTED
    if reader.segment == Segment.PAYMENT_FAILED:
        wall = Reason.PAYMENT_FAILED
    if reader.segment == Segment.ANONYMOUS and rules.registration_wall_after is not None:
        limit, wall = min(limit, rules.registration_wall_after), Reason.REGISTRATION_WALL
    referral_window = None
    if referral:
        day = window_for(Allowance(limit=rules.referral_daily_allowance, window=WindowKind.DAY), now, zone)
        referral_window = Window(key=f"ref-{day.key}", starts=day.starts, ends=day.ends)
    made = MeterPlan(
        window=window,
        limit=limit,
        wall=wall,
        referral_window=referral_window,
        referral_limit=rules.referral_daily_allowance if referral_window else 0,
    )
    if kept:
        _keep(_plans, key, (rules, window, made))
    return made


def decide(
    article: ArticleFacts,
    reader: ReaderFacts,
    rules: Rules,
    meter: MeterPlan,
    state: MeterState,
    referral: MeterState | None = None,
) -> Decision:
    """The decision for a metered article, given what the store found.

    ``referral`` is the referral window's state, consulted only when the main
    window was full and the reader came from search or social.
    """
    if referral is None and meter.window.ends is not None:
        key = (id(rules), id(meter), reader.segment, state.used, state.already_read)
        found = _decisions.get(key)
        if found is not None and found[0] is rules and found[1] is meter:
            return found[2]
        made = _decide(reader, rules, meter, state, None)
        _keep(_decisions, key, (rules, meter, made))
        return made
    return _decide(reader, rules, meter, state, referral)


def _decide(
    reader: ReaderFacts, rules: Rules, meter: MeterPlan, state: MeterState, referral: MeterState | None
) -> Decision:
    common = {"rules_version": rules.version, "limit": meter.limit, "countdown_from": rules.countdown_from}
    granted, used = meter_step(state.used, state.already_read, meter.limit)
    if state.already_read:
        return Decision(True, Reason.ALREADY_READ, used=used, **common)
    if granted:
        return Decision(True, Reason.WITHIN_METER, used=used, counted=True, **common)
    if referral is not None and meter.referral_window is not None:
        referral_granted, _ = meter_step(referral.used, referral.already_read, meter.referral_limit)
        if referral_granted:
            return Decision(True, Reason.REFERRAL, used=used, **common)
    prompt = Prompt.REGISTER if meter.wall == Reason.REGISTRATION_WALL else _WALL_PROMPTS[reader.segment]
    return Decision(False, meter.wall, prompt=prompt, used=used, **common)
