"""Bounces and complaints from the email provider, through anymail's tracking webhooks.

anymail verifies each webhook (basic auth with ``ANYMAIL_WEBHOOK_SECRET``), normalises it into an
``AnymailTrackingEvent`` and sends its ``tracking`` signal; ``on_tracking_event`` hands the events that mean
"never mail this address again" to ``actions.suppression_add``. Every other event type is ignored.
"""

from __future__ import annotations

import logging

from masthead.newsletters.models import Suppression

logger = logging.getLogger(__name__)

# anymail's normalised event types -> why the address is suppressed.
SUPPRESSING = {
    "bounced": Suppression.Reason.BOUNCED,
    "complained": Suppression.Reason.COMPLAINED,
    "rejected": Suppression.Reason.REJECTED,
}


def on_tracking_event(sender, event, esp_name: str = "", **kwargs) -> None:
    from masthead.newsletters import actions

    reason = SUPPRESSING.get(event.event_type)
    if reason is None or not event.recipient:
        return
    detail = str(event.reject_reason or event.description or "")
    actions.suppression_add(email=event.recipient, reason=reason, detail=detail, provider=esp_name)
