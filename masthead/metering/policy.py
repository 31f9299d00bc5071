"""The rules in force: loaded from the latest version, cached briefly."""

from __future__ import annotations

from django.core.cache import cache

from masthead.metering.rules import Allowance, Rules, Segment, WindowKind

CACHE_KEY = "metering:rules"
# With per-process caches, other processes pick up a change within this time.
CACHE_SECONDS = 30


def snapshot(rules: Rules) -> dict:
    """Rules as JSON-ready data (for the version history)."""
    return {
        "allowances": {
            segment.value: {"limit": a.limit, "window": a.window.value, "rolling_days": a.rolling_days}
            for segment, a in rules.allowances.items()
        },
        "registration_wall_after": rules.registration_wall_after,
        "countdown_from": rules.countdown_from,
        "lead_in_paragraphs": rules.lead_in_paragraphs,
        "lead_in_min_words": rules.lead_in_min_words,
        "referral_daily_allowance": rules.referral_daily_allowance,
    }


def from_snapshot(data: dict, version: int) -> Rules:
    return Rules(
        version=version,
        allowances={
            Segment(name): Allowance(limit=a["limit"], window=WindowKind(a["window"]), rolling_days=a["rolling_days"])
            for name, a in data["allowances"].items()
        },
        registration_wall_after=data["registration_wall_after"],
        countdown_from=data["countdown_from"],
        lead_in_paragraphs=data["lead_in_paragraphs"],
        lead_in_min_words=data["lead_in_min_words"],
        referral_daily_allowance=data["referral_daily_allowance"],
    )


def current_rules() -> Rules:
    """The latest saved rules; the defaults (version 0) until staff first save them."""
    rules = cache.get(CACHE_KEY)
    if rules is None:
        from masthead.metering.models import MeterRulesVersion

        latest = MeterRulesVersion.objects.order_by("-number").first()
        rules = from_snapshot(latest.snapshot, latest.number) if latest else Rules()
        cache.set(CACHE_KEY, rules, CACHE_SECONDS)
    return rules


def forget_cached_rules() -> None:
    cache.delete(CACHE_KEY)
