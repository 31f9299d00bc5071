"""Offer-ending and annual-renewal reminders go out N days ahead, once per subscription and period."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions
from masthead.billing.models import Reminder
from masthead.billing.pricing import add_months
from masthead.billing.tests.lifecycle import subscribe

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)


def remind_at(moment):
    with time_machine.travel(moment, tick=False):
        return actions.reminders_run()


def test_it_reminds_once_that_a_trial_is_ending(catalogue, reader, notices):
    subscribe(reader, catalogue.monthly, at=START, offer=catalogue.spring, public_code="SPRING", segment="registered")
    trial_end = START + dt.timedelta(days=7)
    assert remind_at(START) == 1  # a week's trial ends within BILLING_OFFER_ENDING_DAYS (7)
    assert remind_at(START + dt.timedelta(hours=1)) == 0
    assert remind_at(trial_end - dt.timedelta(days=1)) == 0
    assert notices.kinds().count("offer_ending") == 1
    assert Reminder.objects.get().period_index == 1


def test_it_reminds_of_an_annual_renewal_each_year(catalogue, reader, notices, settings):
    settings.BILLING_RENEWAL_REMINDER_DAYS = 14
    subscription = subscribe(reader, catalogue.annual, at=START)
    renewal = add_months(START, 12)
    assert remind_at(renewal - dt.timedelta(days=15)) == 0
    assert remind_at(renewal - dt.timedelta(days=14)) == 1
    assert remind_at(renewal - dt.timedelta(days=2)) == 0
    with time_machine.travel(renewal, tick=False):
        actions.renewals_run()
    assert remind_at(add_months(START, 24) - dt.timedelta(days=10)) == 1
    assert list(Reminder.objects.filter(subscription=subscription).values_list("kind", "period_index")) == [
        ("renewal", 1),
        ("renewal", 2),
    ]
    assert notices.kinds().count("renewal_reminder") == 2


def test_it_does_not_remind_a_monthly_reader_or_one_who_cancelled(catalogue, reader, django_user_model):
    subscribe(reader, catalogue.monthly, at=START)
    other = django_user_model.objects.create_user(email="o@example.com", password="x")
    annual = subscribe(other, catalogue.annual, at=START)
    actions.subscription_cancel(subscription=annual, at_period_end=True, actor=other)
    assert remind_at(add_months(START, 1) - dt.timedelta(days=3)) == 0
    assert remind_at(add_months(START, 12) - dt.timedelta(days=3)) == 0
