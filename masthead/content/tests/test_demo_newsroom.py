"""The demo newsroom: enough original content to judge the product by."""

from collections import Counter

import pytest

from masthead.billing.selectors import reader_standing
from masthead.content.demo import loader, parse
from masthead.content.models import ArticlePage, Author, SectionPage
from masthead.metering.rules import Segment


def test_the_demo_sources_meet_the_brief():
    articles = parse.articles()
    assert len(articles) >= 24
    for article in articles:
        words = sum(len(block["value"].split()) for block in article.body if block["type"] == "paragraph")
        assert 600 <= words <= 1200, article.slug
        assert any(block["type"] == "subheading" for block in article.body), article.slug
    assert len({a.section for a in articles}) >= 5
    assert len({author for a in articles for author in a.authors}) >= 6
    access = Counter(a.access for a in articles)
    assert access["metered"] > access["free"] > 0 and access["subscribers"] > 0
    assert max(a.days_ago for a in articles) <= 30


@pytest.mark.slow
def test_it_builds_the_newsroom_and_its_accounts(db):
    loader.build()
    assert loader.is_seeded()
    assert ArticlePage.objects.live().count() == len(parse.articles())
    assert SectionPage.objects.live().count() >= 5
    assert Author.objects.count() >= 6
    assert ArticlePage.objects.exclude(lead_image=None).count() > 10
    from django.contrib.auth import get_user_model

    users = {u.email: u for u in get_user_model().objects.all()}
    assert users["editor@example.com"].groups.filter(name="Editors").exists()
    assert users["reporter@example.com"].groups.filter(name="Reporters").exists()
    assert users["reader@example.com"].check_password(loader.DEMO_PASSWORD)
    assert reader_standing(users["subscriber@example.com"]).segment == Segment.SUBSCRIBER
    assert reader_standing(users["lapsed@example.com"]).segment == Segment.PAYMENT_FAILED
    assert reader_standing(users["reader@example.com"]).segment == Segment.REGISTERED


def test_the_demo_has_live_offers_and_real_billing_histories(db):
    from masthead.billing import offers
    from masthead.billing.models import Invoice, Payment, Subscription
    from masthead.lib import clock

    loader.build()

    live = {card.code: card for card in offers.live_offers(clock.now())}
    assert {"intro-99", "three-for-nine"} <= set(live)
    assert live["three-for-nine"].ends_at is not None  # a limited-time offer
    subscriber = Subscription.objects.get(reader__email="subscriber@example.com")
    assert subscriber.status == "active" and subscriber.plan.code == "monthly"
    assert Invoice.objects.filter(subscription=subscriber, status="paid").count() == 1
    lapsed = Subscription.objects.get(reader__email="lapsed@example.com")
    assert lapsed.status == "past_due"
    failed = Payment.objects.get(invoice__subscription=lapsed, status="failed")
    assert failed.decline_code == "card_declined" and failed.payment_method.last4 == "0341"


def test_demo_accounts_can_log_in_with_their_password(db, client):
    loader.build()
    response = client.post("/accounts/login/", {"login": "subscriber@example.com", "password": loader.DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/account/billing/").status_code == 200
