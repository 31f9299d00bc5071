"""Helpers for the subscription lifecycle tests: a subscriber at a given time, a card that stops working,
a record of the notices asked for, and workers racing each other."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions, lifecycle
from masthead.billing.models import Subscription
from masthead.billing.tests.conftest import card, new_key


def subscribe(reader, plan, *, at: dt.datetime, offer=None, **checkout) -> Subscription:
    """``reader`` subscribes to ``plan`` at ``at`` with a card that works."""
    with time_machine.travel(at, tick=False):
        outcome = actions.checkout_submit(key=new_key(), plan=plan, offer=offer, card=card(), reader=reader, **checkout)
    return outcome.subscription


def card_starts_failing(subscription: Subscription, *, at: dt.datetime | None = None) -> None:
    """Put a card on file that attaches but whose every charge is declined."""
    with time_machine.travel(at or subscription.started_at, tick=False):
        customer = actions.customer_ensure(reader=subscription.reader)
        method = actions.payment_method_add(
            customer=customer, card=card("fails_later"), idempotency_key=new_key(), actor="test"
        )
    Subscription.objects.filter(pk=subscription.pk).update(payment_method=method)
    subscription.refresh_from_db()


def renew_at(moment: dt.datetime) -> int:
    """Run the renewal worker's job at ``moment``."""
    with time_machine.travel(moment, tick=False):
        return actions.renewals_run()


def retry_at(moment: dt.datetime) -> int:
    """Run the dunning worker's job at ``moment``."""
    with time_machine.travel(moment, tick=False):
        return actions.retries_run()


class Notices(list):
    """Every ``notify`` call, as (kind, keyword arguments)."""

    def kinds(self) -> list[str]:
        return [str(kind) for kind, _ in self]


@pytest.fixture
def notices(monkeypatch) -> Notices:
    sent = Notices()
    for module in (actions, lifecycle):  # both send mail
        monkeypatch.setattr(module, "notify", lambda kind, **kwargs: sent.append((kind, kwargs)))
    return sent


UTC = dt.UTC
