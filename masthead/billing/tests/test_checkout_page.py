"""The checkout page over HTTP: what it states, and what a reader sees when things go right or wrong."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from masthead.billing import offers
from masthead.billing.models import Subscription
from masthead.billing.tests.conftest import CARDS

pytestmark = pytest.mark.django_db


def form_key(html: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


def pay(client, url, *, number=CARDS["ok"], **extra):
    page = client.get(url)
    assert page.status_code == 200, page.content.decode()
    data = {
        "key": form_key(page.content.decode()),
        "card_number": number,
        "card_expiry": "12/39",
        "card_cvc": "123",
        "card_name": "A Reader",
    }
    return client.post(url, data | extra)


def test_it_states_what_is_charged_now_and_later_and_how_to_cancel(client, catalogue, reader):
    client.force_login(reader)
    token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{reader.pk}")
    html = client.get(f"/subscribe/checkout/?offer=intro-99&token={token}").content.decode()

    assert "$0.99 today" in html
    assert "Then $15.00 a month from" in html
    assert "Renews automatically until you cancel." in html
    assert "Cancel any time" in html
    assert 'autocomplete="cc-number"' in html


def test_a_lost_token_is_explained_with_the_regular_price_on_offer(client, catalogue):
    response = client.get("/subscribe/checkout/?offer=intro-99")
    html = response.content.decode()
    assert "only available from the Subscribe button" in html
    assert "/subscribe/checkout/?plan=monthly" in html
    assert 'name="card_number"' not in html


def test_an_anonymous_reader_creates_an_account_pays_and_lands_on_the_story(client, catalogue, mailoutbox):
    response = pay(
        client,
        "/subscribe/checkout/?plan=monthly&next=/politics/some-story/",
        email="fresh@example.com",
        password="a long and unusual passphrase",
    )

    assert response.status_code == 302
    assert response["Location"] == "/politics/some-story/"
    reader = get_user_model().objects.get(email="fresh@example.com")
    assert Subscription.objects.get(reader=reader).status == "active"
    assert client.get("/account/billing/").status_code == 200  # logged in
    assert any("fresh@example.com" in m.to for m in mailoutbox)  # the address is confirmed by email


def test_a_declined_card_is_explained_and_nothing_is_made(client, catalogue, reader):
    client.force_login(reader)
    response = pay(client, "/subscribe/checkout/?plan=monthly", number=CARDS["declined"])

    assert response.status_code == 422
    assert "Your card was declined." in response.content.decode()
    assert not Subscription.objects.exists()


def test_form_mistakes_are_shown_next_to_their_fields(client, catalogue, reader):
    client.force_login(reader)
    response = pay(client, "/subscribe/checkout/?plan=monthly", card_expiry="13/40", card_cvc="1")
    html = response.content.decode()

    assert response.status_code == 422
    assert "between 01 and 12" in html
    assert "security code" in html
    assert not Subscription.objects.exists()


def test_an_offer_code_from_the_subscribe_page_leads_to_its_checkout(client, catalogue):
    assert "Have an offer code?" in client.get("/subscribe/").content.decode()
    html = client.get("/subscribe/checkout/?code=spring").content.decode()
    assert "A week free" in html
    unknown = client.get("/subscribe/checkout/?code=nothing")
    assert unknown.status_code == 302 and "code_error=1" in unknown["Location"]


def test_a_subscriber_is_not_asked_to_pay_twice(client, catalogue, reader):
    pay_page = "/subscribe/checkout/?plan=monthly"
    client.force_login(reader)
    assert pay(client, pay_page).status_code == 302
    html = client.get(pay_page).content.decode()
    assert "already have a subscription" in html
    assert 'name="card_number"' not in html
