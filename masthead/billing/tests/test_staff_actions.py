"""Staff cancel with a refund, give free months and change a plan at renewal: each an action, in the ledger with
the staff member as actor, from small admin forms."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions
from masthead.billing.models import Invoice, LedgerEntry, Subscription
from masthead.billing.pricing import add_months
from masthead.billing.sandbox.models import SandboxCharge, SandboxRefund
from masthead.billing.selectors import reader_standing
from masthead.billing.tests.lifecycle import card_starts_failing, renew_at, subscribe

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(email="ana@example.com", password="x")


def test_it_cancels_now_with_a_partial_then_no_second_refund(catalogue, reader, staff, notices):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        with pytest.raises(actions.BillingRefused):
            actions.subscription_cancel(subscription=subscription, at_period_end=False, actor=staff, refund_amount=9999)
        actions.subscription_cancel(subscription=subscription, at_period_end=False, actor=staff, refund_amount=500)
        with pytest.raises(actions.BillingRefused):
            actions.subscription_cancel(subscription=subscription, at_period_end=False, actor=staff, refund_amount=500)

    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert subscription.paid_through == START + dt.timedelta(days=3)
    assert Invoice.objects.get(subscription=subscription).amount_refunded == 500
    refund = SandboxRefund.objects.get()
    entry = LedgerEntry.objects.get(kind="refund.issued")
    assert (refund.amount, refund.idempotency_key) == (500, f"refund:{entry.pk}")
    assert (entry.amount, entry.actor_label) == (-500, "staff:ana@example.com")
    assert "cancellation_confirmed" in notices.kinds()


def test_it_refunds_in_full_from_the_admin(client, catalogue, reader, staff):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    client.force_login(staff)
    url = f"/admin/billing/subscriptions/{subscription.pk}/cancel/"
    assert "Cancel now" in client.get(url).content.decode()
    response = client.post(url, {"refund": "full"})
    assert response.status_code == 302
    assert SandboxCharge.objects.get().amount_refunded == 1500
    assert Subscription.objects.get().status == "canceled"
    inspect = client.get(f"/admin/subscription/inspect/{subscription.pk}/")
    assert inspect.status_code == 200
    assert "Give free months" not in inspect.content.decode()  # canceled: no more staff actions


def test_it_gives_free_months_that_forgive_an_unpaid_renewal(catalogue, reader, staff, notices):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    due = add_months(START, 1)
    renew_at(due)
    comped_at = due + dt.timedelta(days=2)
    with time_machine.travel(comped_at, tick=False):
        actions.subscription_comp(subscription=subscription, months=2, actor=staff)
        assert reader_standing(subscription.reader).entitled

    assert (subscription.status, subscription.period_index) == ("active", 1)
    assert subscription.paid_through == add_months(comped_at, 2)
    assert Invoice.objects.get(subscription=subscription, period_index=1).status == "void"
    assert LedgerEntry.objects.get(kind="subscription.comp_granted").actor_label == "staff:ana@example.com"
    assert "comp_granted" in notices.kinds()

    # The next renewal is the plan's price, from the comp's end, with a card that works again.
    from masthead.billing.tests.conftest import card, new_key

    method = actions.payment_method_add(
        customer=actions.customer_ensure(reader=reader), card=card(), idempotency_key=new_key(), actor=reader
    )
    Subscription.objects.filter(pk=subscription.pk).update(payment_method=method)
    renew_at(add_months(comped_at, 2))
    subscription.refresh_from_db()
    invoice = Invoice.objects.get(subscription=subscription, period_index=2)
    assert (invoice.status, invoice.total, invoice.period_start) == ("paid", 1500, add_months(comped_at, 2))
    assert subscription.paid_through == add_months(comped_at, 3)


def test_it_gives_free_months_from_the_admin(client, catalogue, reader, staff):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    client.force_login(staff)
    response = client.post(f"/admin/billing/subscriptions/{subscription.pk}/comp/", {"months": "3"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.current_period_end == add_months(add_months(START, 1), 3)


def test_it_changes_the_plan_at_the_renewal(client, catalogue, reader, staff):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    with time_machine.travel(START + dt.timedelta(days=5), tick=False):
        client.force_login(staff)
        response = client.post(
            f"/admin/billing/subscriptions/{subscription.pk}/change-plan/", {"plan": catalogue.annual.pk}
        )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.scheduled_plan == "annual"

    renew_at(add_months(START, 1))
    renew_at(add_months(START, 1) + dt.timedelta(days=200))  # nothing due mid-year
    subscription.refresh_from_db()
    assert subscription.plan == catalogue.annual
    assert (subscription.anchor_index, subscription.anchored_at) == (1, add_months(START, 1))
    invoice = Invoice.objects.get(subscription=subscription, period_index=1)
    assert (invoice.total, invoice.period_start, invoice.period_end) == (
        15000,
        dt.datetime(2027, 2, 28, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2028, 2, 28, 9, 0, tzinfo=dt.UTC),
    )
    assert subscription.charge(2).period_end == dt.datetime(2029, 2, 28, 9, 0, tzinfo=dt.UTC)
    assert LedgerEntry.objects.filter(kind="subscription.plan_changed").exists()
    assert LedgerEntry.objects.get(kind="subscription.plan_change_scheduled").actor_label == "staff:ana@example.com"


def test_it_requires_permission_for_staff_actions(client, catalogue, reader):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    client.force_login(reader)
    response = client.post(f"/admin/billing/subscriptions/{subscription.pk}/cancel/", {"refund": "full"})
    assert response.status_code in (302, 403)
    assert Subscription.objects.get().status == "active"
