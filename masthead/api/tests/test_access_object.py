"""The access object: counts, the countdown, the prompt and its offers, with checkout links for this reader."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from masthead.api.tests.conftest import read_all_through_api
from masthead.billing import offers
from masthead.billing.tests.conftest import Catalogue


@pytest.fixture
def catalogue(db):
    return Catalogue()


def test_counts_and_the_countdown_follow_the_meter(device_api, other_stories):
    seen = [device_api.get(f"/articles/{page.pk}").json()["access"] for page in other_stories[:5]]
    assert [a["counts"]["remaining"] for a in seen] == [4, 3, 2, 1, 0]
    assert [a["reason"] for a in seen] == ["within_meter"] * 5
    assert seen[-1]["last_free"] is True
    assert seen[-1]["countdown"] is True


def test_the_prompt_offers_checkout_links_bound_to_the_device(device_api, catalogue, story, other_stories):
    read_all_through_api(device_api, other_stories[:5])
    access = device_api.get(f"/articles/{story.page.pk}").json()["access"]
    prompt = access["prompt"]
    assert prompt["kind"] == access["prompt_kind"] == "subscribe_or_log_in"
    assert prompt["action"]["url"].startswith("http://127.0.0.1:8000/subscribe/?next=")
    assert prompt["secondary"]["label"] == "Log in"
    assert [offer["headline"] for offer in prompt["offers"]] == ["$0.99 for your first month", "3 months for $9"]
    for offer, card in zip(prompt["offers"], (catalogue.intro, catalogue.bundle), strict=True):
        url = urlsplit(offer["checkout_url"])
        assert url.path == "/subscribe/checkout/"
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        assert query["offer"] == card.code
        offers.check_token(query["token"], offer_code=card.code, reader_keys={f"d:{device_api.device.pk}"})
        # Minted for this device and this offer (a browser honours a device's token until it expires).
        assert signing.loads(query["token"], salt=offers.SALT) == [card.code, f"d:{device_api.device.pk}"]
        with pytest.raises(offers.TokenProblem):
            offers.check_token(query["token"], offer_code="another-offer", reader_keys={f"d:{device_api.device.pk}"})


def test_a_signed_in_readers_offers_are_bound_to_the_account(reader_api, reader, catalogue, story, other_stories):
    read_all_through_api(reader_api, other_stories[:10])
    access = reader_api.get(f"/articles/{story.page.pk}").json()["access"]
    assert access["prompt_kind"] == "subscribe"
    token = parse_qs(urlsplit(access["prompt"]["offers"][0]["checkout_url"]).query)["token"][0]
    offers.check_token(token, offer_code="intro-99", reader_keys={f"a:{reader.pk}"})


def test_a_reader_whose_payment_failed_is_asked_to_update_it(reader_api, reader, subscribe, catalogue, newsroom):
    subscribe(reader, status="past_due", days=-3)
    access = reader_api.get(f"/articles/{newsroom.by_access('subscribers').pk}").json()["access"]
    assert access["prompt_kind"] == "update_payment"
    assert access["prompt"]["action"]["url"] == "http://127.0.0.1:8000/account/billing/"
    assert access["prompt"]["offers"] == []
