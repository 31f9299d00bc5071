"""The rules in force: loaded from the latest version, cached briefly.

An article page asks for the rules several times (the paywall's decision, the
rendered page's cache key, the template's context). Within one request the
first answer is kept and reused, so the page pays for one cache lookup, not
three (with Redis as the cache, each is a round trip and an unpickling). The
memo lives from Django's ``request_started`` to ``request_finished``; outside a
request (a worker, a command, a test calling ``current_rules()`` directly)
every call asks the cache. A save of the rules empties it at once.

What the shared cache holds is a short **stamp**, ``<version>:<random>``, not the
rules: each process keeps the rules it loaded under the stamp it loaded them
for, so a request pays for fetching a short string rather than unpickling the
rules (which cost more than the rest of the meter's decision). A process that
meets a stamp it does not know loads that version from the database and adopts
the stamp; it never replaces it, so processes never retire each other's copies.
A save deletes the stamp, and the next request everywhere loads afresh.
"""

from __future__ import annotations

import contextvars
import uuid

from django.core.cache import cache
from django.core.signals import request_finished, request_started

from masthead.lib import stamps
from masthead.metering.rules import Allowance, Rules, Segment, WindowKind

CACHE_KEY = stamps.register("metering:rules-stamp")
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
    stamp = stamps.get(CACHE_KEY)
    rules = _loaded.get(stamp) if stamp is not None else None
    if rules is None:
        rules, stamp = _load(stamp)
    if memo is not None:
        memo.append(rules)
    return rules


# The rules this process has loaded, by the stamp they were loaded for (a few at most).
_loaded: dict[str, Rules] = {}
_LOADED_MAX = 8


def _load(stamp: str | None) -> tuple[Rules, str]:
    """The rules a stamp names (the latest when there is no stamp, which is then made); kept for this process."""
    from masthead.metering.models import MeterRulesVersion

    row = None
    if stamp is not None:
        number = stamp.partition(":")[0]
        row = MeterRulesVersion.objects.filter(number=int(number)).first() if number.isdigit() else None
    if row is None:
        row = MeterRulesVersion.objects.order_by("-number").first()
        made = f"{row.number if row else 0}:{uuid.uuid4().hex}"
        # Another process may have made one meanwhile: theirs stands, and this one adopts it.
        cache.add(CACHE_KEY, made, CACHE_SECONDS)
        stamp = cache.get(CACHE_KEY) or made
        if stamp.partition(":")[0] != str(row.number if row else 0):
            row = MeterRulesVersion.objects.filter(number=int(stamp.partition(":")[0])).first()
    rules = from_snapshot(row.snapshot, row.number) if row else Rules()
    if len(_loaded) >= _LOADED_MAX:
        _loaded.clear()
    _loaded[stamp] = rules
    return rules, stamp


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
