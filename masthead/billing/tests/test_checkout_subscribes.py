"""Checkout, as the action every entry point calls: what a successful subscription leaves behind."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from masthead.billing import actions, offers
from masthead.billing.models import Invoice, LedgerEntry, Payment, Redemption, Subscription
from masthead.billing.selectors import reader_standing
from masthead.billing.tests.conftest import card, new_key
from masthead.lib import clock

pytestmark = pytest.mark.django_db


def test_it_subscribes_a_reader_at_the_list_price(catalogue, reader):
    outcome = actions.checkout_submit(key=new_key(), plan=catalogue.monthly, offer=None, card=card(), reader=reader)

    sub = outcome.subscription
    assert sub.status == "active"
    assert sub.paid_through == sub.current_period_end > clock.now()
    invoice = Invoice.objects.get(subscription=sub)
    assert (invoice.status, invoice.total, invoice.currency) == ("paid", 1500, "USD")
    assert invoice.number.startswith("INV-")
    payment = Payment.objects.get(invoice=invoice)
    assert payment.status == "succeeded" and payment.gateway_charge_id
    assert LedgerEntry.objects.filter(kind="checkout.succeeded", subscription=sub, amount=1500).exists()
    reader.refresh_from_db()
    assert reader_standing(reader).entitled


def test_it_charges_the_intro_price_through_the_paywall_token(catalogue, reader):
    token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{reader.pk}")

    outcome = actions.checkout_submit(
        key=new_key(),
        plan=catalogue.monthly,
        offer=catalogue.intro,
        card=card(),
        reader=reader,
        token=token,
        segment="registered",
    )

    invoice = Invoice.objects.get(subscription=outcome.subscription)
    assert invoice.total == 99
    assert "first month" in invoice.lines.get().description
    assert Redemption.objects.filter(reader=reader, offer=catalogue.intro).exists()
    # The next charge is at the list price.
    assert outcome.subscription.schedule().charge(1).amount == 1500


def test_it_charges_a_bundle_once_up_front_for_its_whole_term(catalogue, reader):
    token = offers.mint_token(offer_code="three-for-nine", reader_key=f"c:{'1' * 8}")

    outcome = actions.checkout_submit(
        key=new_key(),
        plan=catalogue.monthly,
        offer=catalogue.bundle,
        card=card(),
        reader=reader,
        token=token,
        reader_keys=frozenset({f"c:{'1' * 8}"}),
        segment="registered",
    )

    sub = outcome.subscription
    invoice = Invoice.objects.get(subscription=sub)
    assert invoice.total == 900
    start = sub.started_at
    assert (sub.current_period_end.year * 12 + sub.current_period_end.month) - (start.year * 12 + start.month) == 3


def test_it_starts_a_trial_without_charging(catalogue, reader):
    outcome = actions.checkout_submit(
        key=new_key(),
        plan=catalogue.monthly,
        offer=catalogue.spring,
        card=card(),
        reader=reader,
        public_code="spring",
        segment="registered",
    )

    assert outcome.subscription.status == "trialing"
    assert Invoice.objects.get(subscription=outcome.subscription).total == 0
    assert reader_standing(reader).entitled


def test_it_creates_the_account_inline_for_a_new_reader(catalogue):
    outcome = actions.checkout_submit(
        key=new_key(),
        plan=catalogue.monthly,
        offer=None,
        card=card(),
        signup=actions.Signup("new.reader@example.com", "a long and unusual passphrase"),
    )

    assert outcome.created_account
    assert outcome.reader.email == "new.reader@example.com"
    assert outcome.reader.check_password("a long and unusual passphrase")
    address = EmailAddress.objects.get(user=outcome.reader)
    assert address.primary and not address.verified
    assert Subscription.objects.get(reader=outcome.reader).status == "active"
