"""An offer that ends between the paywall showing it and the reader pressing Pay is refused cleanly: no charge,
neither at the offer's price nor at another."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing import actions, offers
from masthead.billing.models import Invoice, LedgerEntry, Subscription
from masthead.billing.sandbox.models import SandboxCharge
from masthead.billing.tests.conftest import card, new_key

pytestmark = pytest.mark.django_db


def test_it_refuses_an_offer_that_expired_after_the_paywall_showed_it(catalogue, reader):
    offer = catalogue.intro
    shown_at = dt.datetime(2027, 6, 30, 23, 50, tzinfo=dt.UTC)
    offer.ends_at = dt.datetime(2027, 7, 1, 0, 0, tzinfo=dt.UTC)
    offer.save()
    with time_machine.travel(shown_at, tick=False):
        token = offers.mint_token(offer_code=offer.code, reader_key=f"a:{reader.pk}")

    with (
        time_machine.travel(offer.ends_at + dt.timedelta(minutes=2), tick=False),
        pytest.raises(actions.BillingRefused) as refused,
    ):
        actions.checkout_submit(
            key=new_key(),
            plan=catalogue.monthly,
            offer=offer,
            card=card(),
            reader=reader,
            token=token,
            segment="registered",
        )

    assert refused.value.code == "offer_expired"
    assert "regular price" in refused.value.message
    assert not SandboxCharge.objects.exists()
    assert not Subscription.objects.exists()
    assert not Invoice.objects.exists()
    assert LedgerEntry.objects.filter(kind="checkout.refused", data__code="offer_expired").exists()
