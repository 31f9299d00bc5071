"""What every page needs to know about the signed-in reader's billing."""

from __future__ import annotations

from functools import partial

from masthead.billing.selectors import reader_renewal_failed


def billing_banner(request) -> dict:
    """``billing_renewal_failed``: True when the reader's renewal is unpaid, for the site-wide banner.

    Anonymous readers get nothing (and cost no query): their pages may be shared from the cache, and the banner
    is only ever for one signed-in reader. For them, it is a callable, so a page that never shows it asks nothing;
    the answer comes from ``reader_standing``'s one query, cached on the user.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"billing_renewal_failed": partial(reader_renewal_failed, user)}
