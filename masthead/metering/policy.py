"""The rules in force: loaded from the latest version, cached briefly.

An article page asks for the rules several times (the paywall's decision, the
rendered page's cache key, the template's context). Within one request the
first answer is kept and reused, so the page pays for one cache lookup, not
three (with Redis as the cache, each is a round trip and an unpickling). The
memo lives from Django's ``request_started`` to ``request_finished``; outside a
request (a worker, a command, a test calling ``current_rules()`` directly)
every call asks the cache. A save of the rules empties it at once.
"""

from __future__ import annotations

import contextvars

from django.core.cache import cache
from django.core.signals import request_finished, request_started

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


# The rules this request has seen: None outside a request, a one-slot list inside one (empty
# until the first lookup). A context variable, so threads and async tasks each have their own.
_this_request: contextvars.ContextVar[list | None] = contextvars.ContextVar("meter_rules_this_request", default=None)


def current_rules() -> Rules:
    """The latest saved rules; the defaults (version 0) until staff first save them."""
    memo = _this_request.get()
    if memo:
        return memo[0]
    rules = cache.get(CACHE_KEY)
    if rules is None:
        from masthead.metering.models import MeterRulesVersion

        latest = MeterRulesVersion.objects.order_by("-number").first()
        rules = from_snapshot(latest.snapshot, latest.number) if latest else Rules()
        cache.set(CACHE_KEY, rules, CACHE_SECONDS)
    if memo is not None:
        memo.append(rules)
    return rules


def forget_cached_rules() -> None:
    cache.delete(CACHE_KEY)
    memo = _this_request.get()
    if memo:
        memo.clear()


def _request_started(**kwargs) -> None:
    _this_request.set([])


def _request_finished(**kwargs) -> None:
    _this_request.set(None)


# Plumbing only: scoping a memo to the request. dispatch_uid keeps a re-import from doubling it.
request_started.connect(_request_started, dispatch_uid="masthead.metering.policy.request_started")
request_finished.connect(_request_finished, dispatch_uid="masthead.metering.policy.request_finished")
