"""A site not served over HTTPS is warned that mail programs will not offer one-click unsubscribe."""

from masthead.newsletters.apps import check_unsubscribe_is_https


def test_it_warns_when_the_site_is_not_https(settings):
    settings.DEBUG = settings.DEMO = settings.TESTING = False
    settings.SITE_URL = "http://news.example.com"
    assert [m.id for m in check_unsubscribe_is_https()] == ["newsletters.W001"]
    settings.SITE_URL = "https://news.example.com"
    assert check_unsubscribe_is_https() == []
