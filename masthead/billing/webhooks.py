"""Stripe's webhooks: verify the signature on the raw body, store the event in the inbox, answer at once.

Handling happens later, in the worker (``billing.inbox``), so a slow handler
never makes Stripe time out and retry. A delivery whose signature does not
match, or was signed more than ``TOLERANCE`` seconds ago (a replay), is refused
with 400 and changes nothing. A repeat of an event already stored is
acknowledged with 200 and not stored again.
"""

from __future__ import annotations

import json
import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from masthead.billing import inbox
from masthead.billing.stripe_handlers import EVENT_CREATED

logger = logging.getLogger(__name__)

TOLERANCE = 300  # seconds; Stripe's own default


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is what authenticates the request
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponseNotFound("Stripe webhooks are not configured here.")
    body = request.body.decode("utf-8", errors="replace")
    try:
        stripe.WebhookSignature.verify_header(body, request.headers.get("Stripe-Signature"), secret, TOLERANCE)
        event = json.loads(body)
        event_id, kind, created = event["id"], event["type"], int(event["created"])
        data_object = dict(event["data"]["object"])
    except stripe.SignatureVerificationError as exc:
        logger.warning("billing: refused a Stripe webhook: %s", exc)
        return HttpResponseBadRequest("Bad signature.")
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest("Not a Stripe event.")
    inbox.receive(provider="stripe", event_id=event_id, type=kind, payload={**data_object, EVENT_CREATED: created})
    return HttpResponse(status=200)
