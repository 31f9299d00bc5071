"""The meter's rules, as data: who is metered, how many articles, over what window.

``Rules`` is what the decision reads. It is built from the current
``MeterRules`` version (edited by staff in the admin), and is frozen so one
request uses one consistent set of rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Segment(enum.StrEnum):
    """What kind of reader someone is, for the meter."""

    ANONYMOUS = "anonymous"
    REGISTERED = "registered"  # an account without a subscription
    PAYMENT_FAILED = "payment_failed"  # a subscription whose renewal failed (past due)
    FORMER_SUBSCRIBER = "former_subscriber"
    SUBSCRIBER = "subscriber"  # never metered


METERED_SEGMENTS = (Segment.ANONYMOUS, Segment.REGISTERED, Segment.PAYMENT_FAILED, Segment.FORMER_SUBSCRIBER)


class WindowKind(enum.StrEnum):
    MONTH = "month"  # calendar month in the publication's zone (the default)
    WEEK = "week"  # calendar week, Monday to Sunday, in the publication's zone
    DAY = "day"  # calendar day in the publication's zone
    ROLLING = "rolling"  # the last N days, up to this moment


@dataclass(frozen=True)
class Allowance:
    """How many metered articles a segment may read, and over what window."""

    limit: int
    window: WindowKind = WindowKind.MONTH
    rolling_days: int = 30

    def problems(self) -> list[str]:
        found = []
        if self.limit < 0:
            found.append("the limit cannot be negative")
        if self.limit > 1000:
            found.append("the limit is at most 1,000 (a meter that high is no meter)")
        if self.window == WindowKind.ROLLING and not 1 <= self.rolling_days <= 366:
            found.append("a rolling window is 1 to 366 days long")
        return found


DEFAULT_ALLOWANCES = {
    Segment.ANONYMOUS: Allowance(limit=5),
    Segment.REGISTERED: Allowance(limit=10),
    Segment.PAYMENT_FAILED: Allowance(limit=5),
    Segment.FORMER_SUBSCRIBER: Allowance(limit=5),
}

SEARCH_AND_SOCIAL = (
    "google.",
    "bing.com",
    "duckduckgo.com",
    "yahoo.",
    "facebook.com",
    "t.co",
    "x.com",
    "linkedin.com",
    "reddit.com",
)


@dataclass(frozen=True)
class Rules:
    """One version of the meter's rules. ``version`` is recorded with every decision."""

    version: int = 0
    allowances: dict[Segment, Allowance] = field(default_factory=lambda: dict(DEFAULT_ALLOWANCES))
    registration_wall_after: int | None = None  # anonymous readers must register after K articles
    countdown_from: int = 2  # show "n of N free articles left" when n <= this
    lead_in_paragraphs: int = 2
    lead_in_min_words: int = 50
    referral_daily_allowance: int = 0  # 0 = off; extra articles a day for readers from search/social
    referral_domains: tuple[str, ...] = SEARCH_AND_SOCIAL

    def allowance(self, segment: Segment) -> Allowance:
        return self.allowances[segment]

    def problems(self) -> dict[str, list[str]]:
        """Everything wrong with these rules, by field; empty when they are usable."""
        found: dict[str, list[str]] = {}
        for segment, allowance in self.allowances.items():
            if allowance.problems():
                found[segment.value] = allowance.problems()
        if set(self.allowances) != set(METERED_SEGMENTS):
            found["allowances"] = ["every metered segment needs an allowance"]
        if self.registration_wall_after is not None:
            anonymous = self.allowances.get(Segment.ANONYMOUS)
            if self.registration_wall_after < 0:
                found["registration_wall_after"] = ["the registration wall cannot come after a negative count"]
            elif anonymous and self.registration_wall_after > anonymous.limit:
                found["registration_wall_after"] = [
                    f"the registration wall ({self.registration_wall_after}) must come at or before the "
                    f"anonymous limit ({anonymous.limit})"
                ]
        if self.countdown_from < 0:
            found["countdown_from"] = ["the countdown threshold cannot be negative"]
        if not 1 <= self.lead_in_paragraphs <= 10:
            found["lead_in_paragraphs"] = ["the lead-in is 1 to 10 paragraphs"]
        if not 0 <= self.lead_in_min_words <= 400:
            found["lead_in_min_words"] = ["the lead-in's minimum is 0 to 400 words"]
        if not 0 <= self.referral_daily_allowance <= 20:
            found["referral_daily_allowance"] = [
                "the referral allowance is 0 (off) to 20 articles a day, never unlimited"
            ]
        return found
