"""A reader whose renewal failed sees a banner on every page; nobody else does, and anonymous pages pay nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from masthead.billing.pricing import add_months
from masthead.billing.tests.lifecycle import card_starts_failing, renew_at, subscribe

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
BANNER = "We could not renew your subscription."


@pytest.fixture
def lapsed(catalogue, reader):
    subscription = subscribe(reader, catalogue.monthly, at=START)
    card_starts_failing(subscription)
    renew_at(add_months(START, 1))
    return reader


def test_it_shows_the_banner_to_a_past_due_reader_on_every_page(client, lapsed, newsroom):
    story = newsroom.by_access("metered")
    with time_machine.travel(add_months(START, 1) + dt.timedelta(hours=1), tick=False):
        client.force_login(lapsed)
        for url in ("/", story.url, "/account/", "/subscribe/"):
            html = client.get(url).content.decode()
            assert BANNER in html, url
            assert 'href="/account/billing/"' in html
        assert client.get("/account/billing/").content.decode().count(BANNER) == 1  # the page's own notice


def test_it_shows_no_banner_to_a_paying_reader_or_a_visitor(client, catalogue, reader, newsroom):
    subscribe(reader, catalogue.monthly, at=START)
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        assert BANNER not in client.get("/").content.decode()
        client.force_login(reader)
        assert BANNER not in client.get("/").content.decode()


def test_it_costs_anonymous_pages_no_query(client, newsroom, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from masthead.billing.context_processors import billing_banner

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert billing_banner(request) == {}
