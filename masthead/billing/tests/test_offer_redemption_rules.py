"""Who may redeem an offer: the token of a paywall-only offer, public codes, windows, segments, once per reader."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing

from masthead.billing import actions, offers
from masthead.billing.models import Subscription
from masthead.billing.tests.conftest import card, new_key
from masthead.lib import clock

pytestmark = pytest.mark.django_db


def checkout(catalogue, reader, *, offer=None, token="", code="", segment="registered", number="ok", keys=()):
    return actions.checkout_submit(
        key=new_key(),
        plan=catalogue.monthly,
        offer=offer or catalogue.intro,
        card=card(number),
        reader=reader,
        token=token,
        public_code=code,
        segment=segment,
        reader_keys=frozenset(keys),
    )


def refused_code(catalogue, reader, **kwargs) -> str:
    with pytest.raises(actions.BillingRefused) as refused:
        checkout(catalogue, reader, **kwargs)
    assert not Subscription.objects.filter(reader=reader).exists()
    return refused.value.code


def test_a_paywall_offer_is_refused_without_a_token(catalogue, reader):
    assert refused_code(catalogue, reader) == "offer_token"


def test_a_paywall_offer_is_refused_with_a_forged_token(catalogue, reader):
    forged = signing.dumps(["intro-99", f"a:{reader.pk}"], salt="some other salt")
    assert refused_code(catalogue, reader, token=forged) == "offer_token"
    tampered = offers.mint_token(offer_code="intro-99", reader_key=f"a:{reader.pk}")[:-2] + "xx"
    assert refused_code(catalogue, reader, token=tampered) == "offer_token"


def test_a_paywall_offer_is_refused_with_another_readers_token(catalogue, reader, django_user_model):
    other = django_user_model.objects.create_user(email="other@example.com", password="x")
    token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{other.pk}")
    assert refused_code(catalogue, reader, token=token) == "offer_token"
    browser_token = offers.mint_token(offer_code="intro-99", reader_key="c:someone-elses-browser")
    assert refused_code(catalogue, reader, token=browser_token, keys={"c:my-browser"}) == "offer_token"


def test_a_paywall_offer_is_refused_with_a_token_for_another_offer(catalogue, reader):
    token = offers.mint_token(offer_code="three-for-nine", reader_key=f"a:{reader.pk}")
    assert refused_code(catalogue, reader, token=token) == "offer_token"


def test_a_paywall_offer_is_refused_with_an_expired_token(catalogue, reader, settings):
    settings.OFFER_TOKEN_MAX_AGE_HOURS = 24
    with time_machine.travel(clock.now() - dt.timedelta(hours=25), tick=False):
        token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{reader.pk}")
    with pytest.raises(actions.BillingRefused) as refused:
        checkout(catalogue, reader, token=token)
    assert "expired" in refused.value.message


def test_a_paywall_offer_is_accepted_with_the_readers_browser_token(catalogue, reader):
    token = offers.mint_token(offer_code="intro-99", reader_key="c:my-browser")
    assert checkout(catalogue, reader, token=token, keys={"c:my-browser"}).subscription.status == "active"


def test_a_public_code_offer_needs_its_code(catalogue, reader):
    assert refused_code(catalogue, reader, offer=catalogue.spring, code="WINTER") == "offer_code"
    assert checkout(catalogue, reader, offer=catalogue.spring, code=" spring ").subscription.status == "trialing"


def test_an_ended_offer_is_refused(catalogue, reader):
    with time_machine.travel(catalogue.bundle.ends_at + dt.timedelta(seconds=1), tick=False):
        token = offers.mint_token(offer_code="three-for-nine", reader_key=f"a:{reader.pk}")
        assert refused_code(catalogue, reader, offer=catalogue.bundle, token=token) == "offer_expired"


def test_an_offer_is_refused_outside_its_segments(catalogue, reader):
    token = offers.mint_token(offer_code="three-for-nine", reader_key=f"a:{reader.pk}")
    assert refused_code(catalogue, reader, offer=catalogue.bundle, token=token, segment="former_subscriber") == (
        "offer_not_eligible"
    )


def test_an_intro_offer_is_once_per_account(catalogue, reader):
    token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{reader.pk}")
    sub = checkout(catalogue, reader, token=token).subscription
    Subscription.objects.filter(pk=sub.pk).update(status="canceled")

    again = offers.mint_token(offer_code="three-for-nine", reader_key=f"a:{reader.pk}")
    assert refused_code_keeping(catalogue, reader, offer=catalogue.bundle, token=again) == "offer_used"


def test_an_intro_offer_is_once_per_card(catalogue, reader, django_user_model):
    token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{reader.pk}")
    checkout(catalogue, reader, token=token)

    other = django_user_model.objects.create_user(email="other@example.com", password="x")
    token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{other.pk}")
    assert refused_code(catalogue, other, token=token) == "offer_used"
    # Another card is fine.
    assert checkout(catalogue, other, token=token, number="mastercard").subscription.status == "active"


def refused_code_keeping(catalogue, reader, **kwargs) -> str:
    with pytest.raises(actions.BillingRefused) as refused:
        checkout(catalogue, reader, **kwargs)
    return refused.value.code
