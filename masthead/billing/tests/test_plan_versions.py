"""Once a plan has subscribers its price is fixed; a new price is a new version, and subscribers keep theirs."""

from __future__ import annotations

import pytest

from masthead.billing import actions
from masthead.billing.models import Offer, Plan, Subscription
from masthead.billing.tests.conftest import card, new_key
from masthead.billing.wagtail_hooks import PlanForm

pytestmark = pytest.mark.django_db


def edit(plan: Plan, **changes):
    data = {
        "name": plan.name,
        "code": plan.code,
        "description": plan.description,
        "amount": plan.amount,
        "currency": plan.currency,
        "interval": plan.interval,
        "interval_count": plan.interval_count,
        "active": "on" if plan.active else "",
    } | changes
    form_class = type("Form", (PlanForm,), {"Meta": type("Meta", (), {"model": Plan, "fields": list(data)})})
    return form_class(data, instance=plan)


def test_a_plan_without_subscribers_can_be_repriced_in_place(catalogue):
    form = edit(catalogue.monthly, amount=1700)
    assert form.is_valid(), form.errors
    assert form.save().amount == 1700


def test_a_plan_with_subscribers_refuses_a_new_price_but_takes_a_new_name(catalogue, reader):
    actions.checkout_submit(key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=reader)

    form = edit(catalogue.monthly, amount=1700)
    assert not form.is_valid()
    assert "cannot change" in str(form.errors)
    catalogue.monthly.refresh_from_db()  # the refused form set its values on the instance
    assert edit(catalogue.monthly, name="Digital access, monthly").is_valid()


def test_a_new_version_takes_new_subscribers_and_offers_while_subscribers_keep_theirs(catalogue, reader, editor):
    old = catalogue.monthly
    subscription = actions.checkout_submit(key=new_key(), plan=old, offer=None, card=card(), reader=reader).subscription

    new = actions.plan_reprice(plan=old, amount=1700, actor=editor)

    assert (new.code, new.version, new.amount, new.active) == ("monthly", 2, 1700, True)
    old.refresh_from_db()
    assert not old.active
    assert Subscription.objects.get(pk=subscription.pk).plan == old
    assert subscription.schedule().charge(5).amount == 1500
    assert set(Offer.objects.filter(code__in=["intro-99", "three-for-nine"]).values_list("plan", flat=True)) == {new.pk}
