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
