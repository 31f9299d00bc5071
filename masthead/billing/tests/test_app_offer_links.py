"""An offer link from the app's paywall, minted for an anonymous install, works in the browser the app opens."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions, offers
from masthead.billing.tests.test_offer_redemption_rules import checkout, refused_code
from masthead.lib import clock

pytestmark = pytest.mark.django_db


def test_it_accepts_an_app_installs_token_from_any_browser(catalogue, reader):
    token = offers.mint_token(offer_code="intro-99", reader_key="d:kenjis-ipad")

    assert checkout(catalogue, reader, token=token, keys={"c:a-browser-the-app-opened"}).subscription.status == "active"


def test_it_still_refuses_an_app_installs_token_for_another_offer(catalogue, reader):
    token = offers.mint_token(offer_code="three-for-nine", reader_key="d:kenjis-ipad")

    assert refused_code(catalogue, reader, token=token) == "offer_token"


def test_it_still_refuses_an_app_installs_token_once_it_has_expired(catalogue, reader, settings):
    settings.OFFER_TOKEN_MAX_AGE_HOURS = 24
    with time_machine.travel(clock.now() - dt.timedelta(hours=25), tick=False):
        token = offers.mint_token(offer_code="intro-99", reader_key="d:kenjis-ipad")

    with pytest.raises(actions.BillingRefused) as refused:
        checkout(catalogue, reader, token=token)
    assert "expired" in refused.value.message
