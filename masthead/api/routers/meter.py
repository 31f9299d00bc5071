"""Meter status: how many free articles the reader has read in the current window, and how many remain."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Router

from masthead.api.auth import reader_auth
from masthead.api.errors import responses
from masthead.api.routers.meter_schemas import MeterOut

router = Router(tags=["meter"])


@router.get("", response=responses({200: MeterOut}, 401, 403), auth=reader_auth, summary="Meter status")
def meter_status(request: HttpRequest, response: HttpResponse):
    """The window the next metered article would be counted in, read without counting anything."""
    from masthead.billing.selectors import reader_standing
    from masthead.lib import clock
    from masthead.lib.dates import publication_zone
    from masthead.metering import decision as meter
    from masthead.metering import policy
    from masthead.metering.stores import get_store

    patch_cache_control(response, private=True, no_store=True)
    segment = reader_standing(request.user).segment
    rules = policy.current_rules()
    now = clock.now()
    # The plan the gate would make for a metered story: the same window and limit (registration wall included).
    plan = meter.plan(
        meter.ArticleFacts(id=0, access="metered"), meter.ReaderFacts(segment), rules, now, publication_zone()
    )
    reader = request.reader.current()
    if not isinstance(plan, meter.MeterPlan) or reader is None:
        return {
            "metered": False,
            "segment": str(segment),
            "window": None,
            "starts": None,
            "ends": None,
            "used": None,
            "limit": None,
            "remaining": None,
        }
    used = len(get_store().peek(reader.key, plan.window, now))
    return {
        "metered": True,
        "segment": str(segment),
        "window": str(rules.allowance(segment).window.value),
        "starts": plan.window.starts,
        "ends": plan.window.ends,
        "used": used,
        "limit": plan.limit,
        "remaining": max(0, plan.limit - used),
    }
