"""Pressing Pay twice, or two tabs paying at once, makes one subscription and one charge."""

from __future__ import annotations

import pytest

from masthead.billing import actions
from masthead.billing.models import Payment, Subscription
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.conftest import Catalogue, card, new_key
from masthead.lib.tests.threads import workers


@pytest.mark.django_db
def test_the_same_form_sent_twice_charges_once(catalogue, reader):
    key = new_key()
    first = actions.checkout_submit(key=key, plan=catalogue.monthly, offer=None, card=card(), reader=reader)
    second = actions.checkout_submit(key=key, plan=catalogue.monthly, offer=None, card=card(), reader=reader)

    assert first.subscription.pk == second.subscription.pk
    assert Subscription.objects.count() == 1
    assert Payment.objects.count() == 1
    assert SandboxCharge.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_double_click_racing_itself_charges_once(reader):
    catalogue = Catalogue()
    key = new_key()

    def submit():
        return actions.checkout_submit(key=key, plan=catalogue.monthly, offer=None, card=card(), reader=reader)

    results = workers(3, submit)

    assert Subscription.objects.count() == 1
    assert SandboxCharge.objects.count() == 1
    subscriptions = {r.subscription.pk for r in results if isinstance(r, actions.CheckoutOutcome)}
    assert len(subscriptions) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_paying_at_once_make_one_subscription(reader):
    catalogue = Catalogue()

    def submit():
        return actions.checkout_submit(key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=reader)

    results = workers(2, submit)

    assert Subscription.objects.filter(status="active").count() == 1
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    refusals = [r for r in results if isinstance(r, actions.BillingRefused)]
    assert [r.code for r in refusals] == ["already_subscribed"]
