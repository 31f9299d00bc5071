"""A refused checkout says why in plain words, and leaves nothing half-made behind."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from masthead.billing import actions
from masthead.billing.models import CheckoutAttempt, Invoice, LedgerEntry, Payment, Subscription
from masthead.billing.tests.conftest import card, new_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "code", "words"),
    [
        ("declined", "card_declined", "declined"),
        ("insufficient", "insufficient_funds", "insufficient funds"),
        ("fails_later", "card_declined", "declined"),
    ],
)
def test_it_refuses_a_bad_card_and_leaves_no_subscription(catalogue, reader, kind, code, words):
    key = new_key()
    with pytest.raises(actions.BillingRefused) as refused:
        actions.checkout_submit(key=key, plan=catalogue.monthly, offer=None, card=card(kind), reader=reader)

    assert refused.value.code == code
    assert words in refused.value.message.lower()
    assert not Subscription.objects.exists()
    assert not Invoice.objects.exists()
    assert not Payment.objects.exists()
    attempt = CheckoutAttempt.objects.get(key=key)
    assert (attempt.status, attempt.error_code) == ("failed", code)
    assert LedgerEntry.objects.filter(kind="checkout.refused", reader=reader).exists()


def test_a_declined_card_creates_no_account_either(catalogue):
    with pytest.raises(actions.BillingRefused):
        actions.checkout_submit(
            key=new_key(),
            plan=catalogue.monthly,
            offer=None,
            card=card("declined"),
            signup=actions.Signup("someone@example.com", "a long and unusual passphrase"),
        )

    assert not get_user_model().objects.filter(email="someone@example.com").exists()


def test_it_refuses_a_second_subscription(catalogue, reader):
    actions.checkout_submit(key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=reader)

    with pytest.raises(actions.BillingRefused) as refused:
        actions.checkout_submit(key=new_key(), plan=catalogue.annual, offer=None, card=card(), reader=reader)

    assert refused.value.code == "already_subscribed"
    assert Subscription.objects.filter(reader=reader).count() == 1


def test_it_refuses_an_email_that_already_has_an_account(catalogue, reader):
    with pytest.raises(actions.BillingRefused) as refused:
        actions.checkout_submit(
            key=new_key(),
            plan=catalogue.monthly,
            offer=None,
            card=card(),
            signup=actions.Signup(reader.email.upper(), "a long and unusual passphrase"),
        )

    assert "already exists" in refused.value.message
    assert not Subscription.objects.exists()


def test_it_refuses_a_weak_password_before_charging(catalogue):
    with pytest.raises(actions.BillingRefused) as refused:
        actions.checkout_submit(
            key=new_key(),
            plan=catalogue.monthly,
            offer=None,
            card=card(),
            signup=actions.Signup("x@example.com", "123"),
        )

    assert refused.value.code == "account_invalid"
    assert not Payment.objects.exists()
