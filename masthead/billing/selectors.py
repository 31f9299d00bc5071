from __future__ import annotations

from masthead.billing.entitlement import ANONYMOUS, Standing, SubscriptionFacts, standing
from masthead.lib import clock


def reader_standing(user) -> Standing:
    """The standing of ``user`` (anonymous readers included), in one query at most."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_masthead_standing", None)
    if cached is not None:
        return cached
    from masthead.billing.models import Subscription

    facts = [
        SubscriptionFacts(status, paid_through, cancel)
        for status, paid_through, cancel in Subscription.objects.filter(reader=user).values_list(
            "status", "paid_through", "cancel_at_period_end"
        )
    ]
    user._masthead_standing = standing(facts, clock.now())
    return user._masthead_standing
