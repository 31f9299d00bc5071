"""The billing page's forms, without JavaScript: a new card, cancel, resume and Pay now, with errors in words."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing.models import Invoice, Subscription
from masthead.billing.pricing import add_months
from masthead.billing.tests.lifecycle import card_starts_failing, renew_at, subscribe

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
CARD = {"card_number": "4242 4242 4242 4242", "card_expiry": "12/31", "card_cvc": "123", "key": "k" * 24}


def test_it_cancels_and_resumes_from_the_page(client, catalogue, reader):
    subscribe(reader, catalogue.monthly, at=START)
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        client.force_login(reader)
        page = client.get("/account/billing/").content.decode()
        assert "you keep reading everything until April 1, 2027" in page
        response = client.post("/account/billing/cancel/", follow=True)
        assert "You can keep reading until" in response.content.decode()
        assert Subscription.objects.get().cancel_at_period_end
        assert "Resume my subscription" in response.content.decode()
        response = client.post("/account/billing/resume/", follow=True)
        assert "Welcome back" in response.content.decode()
        assert not Subscription.objects.get().cancel_at_period_end


def test_it_takes_a_new_card_and_pays_the_unpaid_renewal(client, catalogue, reader):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    renew_at(add_months(START, 1))
    with time_machine.travel(add_months(START, 1) + dt.timedelta(hours=2), tick=False):
        client.force_login(reader)
        page = client.get("/account/billing/").content.decode()
        assert "Pay $15.00 now" in page and "Change your card" in page

        bad = client.post("/account/billing/card/", {**CARD, "card_number": "4242"})
        assert bad.status_code == 422
        assert "Enter the long number on the front of your card." in bad.content.decode()

        declined = client.post("/account/billing/card/", {**CARD, "card_number": "4000 0000 0000 0002"})
        assert declined.status_code == 422 and "Your card was declined." in declined.content.decode()

        response = client.post("/account/billing/card/", CARD, follow=True)
        assert "your renewal is paid" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == "active"


def test_it_says_so_when_pay_now_is_declined_again(client, catalogue, reader):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    renew_at(add_months(START, 1))
    invoice = Invoice.objects.get(subscription=subscription, period_index=1)
    with time_machine.travel(add_months(START, 1) + dt.timedelta(hours=2), tick=False):
        client.force_login(reader)
        response = client.post("/account/billing/pay/", {"invoice": invoice.number}, follow=True)
    assert "The payment did not go through: Your card was declined." in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.status, subscription.failed_attempts) == ("past_due", 2)


def test_it_lets_no_reader_pay_or_cancel_for_someone_else(client, catalogue, reader, django_user_model):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    other = django_user_model.objects.create_user(email="other@example.com", password="x")
    client.force_login(other)
    invoice = Invoice.objects.get(subscription=subscription)
    assert client.post("/account/billing/pay/", {"invoice": invoice.number}).status_code == 404
    assert client.post("/account/billing/cancel/").status_code == 404
    assert not Subscription.objects.get().cancel_at_period_end
