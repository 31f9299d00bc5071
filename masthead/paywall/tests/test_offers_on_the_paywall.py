"""The paywall's prompts show the offers open to the reader, each with a token for this reader only."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, RequestFactory

from masthead.billing import offers
from masthead.billing.models import Offer
from masthead.billing.tests.conftest import Catalogue
from masthead.metering.identity import COOKIE, RequestReader
from masthead.paywall.tests.conftest import read_all


@pytest.fixture
def catalogue(db):
    return Catalogue()


def reader_cookie_id(client) -> str:
    """The anonymous reader id the site gave this browser."""
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE] = client.cookies[COOKIE].value
    return RequestReader(request).cookie_id


def offer_links(html: str) -> dict[str, dict[str, str]]:
    """offer code -> its checkout link's query, for every offer button on the page."""
    found = {}
    for href in re.findall(r'href="([^"]+)"[^>]*data-offer', html):
        query = {k: v[0] for k, v in parse_qs(urlsplit(unescape(href)).query).items()}
        found[query["offer"]] = query
    return found


def test_an_anonymous_reader_out_of_articles_sees_the_offers_with_their_own_tokens(
    client, catalogue, story, other_stories
):
    read_all(client, other_stories[:5])
    html = client.get(story.url).content.decode()

    links = offer_links(html)
    assert set(links) == {"intro-99", "three-for-nine"}  # the public-code offer is not on the paywall
    assert "$0.99 for your first month" in html and "3 months for $9" in html
    cookie_id = reader_cookie_id(client)
    for code, query in links.items():
        offers.check_token(query["token"], offer_code=code, reader_keys={f"c:{cookie_id}"})
        assert query["next"] == story.url
    with pytest.raises(offers.TokenProblem):
        offers.check_token(links["intro-99"]["token"], offer_code="intro-99", reader_keys={"c:someone-else"})


def test_two_readers_of_one_cached_page_get_different_tokens(catalogue, story, other_stories):
    tokens = []
    for _ in range(2):
        browser = Client()
        read_all(browser, other_stories[:5])
        tokens.append(offer_links(browser.get(story.url).content.decode())["intro-99"]["token"])
    assert tokens[0] != tokens[1]
    assert "mh-offer-token" not in tokens[0]


def test_a_former_subscriber_sees_only_offers_for_former_subscribers(
    client, reader, subscribe, catalogue, story, other_stories
):
    subscribe(reader, status="canceled", days=-3)
    client.force_login(reader)
    read_all(client, other_stories[:5])
    assert set(offer_links(client.get(story.url).content.decode())) == {"intro-99"}


def test_a_reader_whose_payment_failed_is_not_sold_an_offer(client, reader, subscribe, catalogue, story, other_stories):
    subscribe(reader, status="past_due", days=-1)
    client.force_login(reader)
    read_all(client, other_stories[:5])
    assert offer_links(client.get(story.url).content.decode()) == {}


def test_an_offer_that_ended_leaves_the_prompt_at_once(client, catalogue, story, other_stories):
    read_all(client, other_stories[:5])
    assert "three-for-nine" in offer_links(client.get(story.url).content.decode())

    Offer.objects.filter(pk=catalogue.bundle.pk).update(active=False)
    offers.bump_version()  # what saving it in the admin does
    assert "three-for-nine" not in offer_links(client.get(story.url).content.decode())
