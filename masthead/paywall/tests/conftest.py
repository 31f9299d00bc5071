import datetime as dt

import pytest

from masthead.billing.models import Subscription
from masthead.content.tests import factories
from masthead.lib import clock
from masthead.paywall.crawlers import Resolver

GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLE_IP = "66.249.66.1"


class DirectoryResolver(Resolver):
    """DNS as a test writes it: Google's crawler address resolves both ways."""

    reverse_names = {GOOGLE_IP: ["crawl-66-249-66-1.googlebot.com"], "127.0.0.1": ["localhost"]}
    forward_names = {"crawl-66-249-66-1.googlebot.com": [GOOGLE_IP], "localhost": ["127.0.0.1"]}

    def reverse(self, ip):
        return self.reverse_names.get(ip, [])

    def forward(self, name):
        return self.forward_names.get(name, [])


@pytest.fixture(autouse=True)
def _fake_dns(settings):
    settings.PAYWALL_RESOLVER = "masthead.paywall.tests.conftest.DirectoryResolver"


class Story:
    """A metered story whose every paragraph is identifiable."""

    def __init__(self, page):
        self.page = page
        self.url = page.url

    def lead_in_words(self):
        return ["lockedp0w1", "lockedp1w1"]

    def locked_words(self):
        return [f"lockedp{n}w{i}" for n in range(2, 6) for i in (0, 17, 39)]


@pytest.fixture
def story(newsroom):
    return Story(factories.article(newsroom.politics, title="The locked story", marker="locked"))


@pytest.fixture
def other_stories(newsroom):
    return [factories.article(newsroom.economy, title=f"Other story {n}") for n in range(12)]


def read_all(client, pages, **headers):
    for page in pages:
        assert client.get(page.url, **headers).status_code == 200


@pytest.fixture
def subscribe():
    def make(user, status="active", days=20):
        return Subscription.objects.create(
            reader=user, status=status, paid_through=clock.now() + dt.timedelta(days=days)
        )

    return make
