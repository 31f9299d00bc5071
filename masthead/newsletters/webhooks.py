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
    email = str(event.recipient).strip()
    if not _is_address(email):
        # Not an address we could have sent to: answering with an error would only make the provider retry.
        logger.warning("%s %s event for a recipient that is not an address: %r", esp_name, event.event_type, email)
        return
    detail = str(event.reject_reason or event.description or "")
    actions.suppression_add(email=email, reason=reason, detail=detail, provider=esp_name)


def _is_address(value: str) -> bool:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if len(value) > Suppression._meta.get_field("email").max_length:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
