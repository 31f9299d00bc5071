"""A subscription the gateway renews itself (Stripe) is never charged by masthead's own renewal run."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions
from masthead.billing.models import Subscription
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.conftest import card, new_key
from masthead.lib import clock

pytestmark = pytest.mark.django_db


def test_it_renews_its_own_subscriptions_and_leaves_the_gateways_alone(catalogue, reader, editor):
    actions.checkout_submit(key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=reader)
    theirs = actions.checkout_submit(key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=editor)
    Subscription.objects.filter(pk=theirs.subscription.pk).update(gateway_id="sub_run_by_the_gateway")

    with time_machine.travel(clock.now() + dt.timedelta(days=32), tick=False):
        actions.renewals_run()

    assert SandboxCharge.objects.filter(customer__reader_id=reader.pk).count() == 2
    assert SandboxCharge.objects.filter(customer__reader_id=editor.pk).count() == 1
    assert Subscription.objects.get(pk=theirs.subscription.pk).period_index == 0
