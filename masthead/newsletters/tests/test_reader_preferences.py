"""The preferences the account page and the API share: ``reader_preferences`` and ``newsletter_preferences_set``."""

import pytest

from masthead.newsletters.actions import PreferenceError, newsletter_preferences_set
from masthead.newsletters.models import Signup
from masthead.newsletters.selectors import NewsletterPreference, reader_preferences
from masthead.newsletters.tests.conftest import make_newsletter

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists():
    return (
        make_newsletter(slug="briefing", name="Briefing", cadence="Daily", position=1),
        make_newsletter(slug="insider", name="Insider", audience="subscribers", position=2),
        make_newsletter(slug="retired", active=False),
    )


def test_it_lists_active_newsletters_with_what_the_reader_may_have(lists, reader):
    assert reader_preferences(reader) == [
        NewsletterPreference("briefing", "Briefing", "About briefing.", "Daily", "everyone", False, True),
        NewsletterPreference("insider", "Insider", "About insider.", "Daily", "subscribers", False, False),
    ]


def test_it_subscribes_to_exactly_the_chosen_and_unsubscribes_the_rest(lists, subscriber):
    prefs = newsletter_preferences_set(user=subscriber, subscribed={"briefing", "insider"}, actor=subscriber)
    assert [(p.slug, p.subscribed, p.available) for p in prefs] == [("briefing", True, True), ("insider", True, True)]
    prefs = newsletter_preferences_set(user=subscriber, subscribed=frozenset({"insider"}), actor=subscriber)
    assert [(p.slug, p.subscribed) for p in prefs] == [("briefing", False), ("insider", True)]
    assert dict(Signup.objects.values_list("newsletter__slug", "status")) == {
        "briefing": "unsubscribed",
        "insider": "confirmed",
    }


@pytest.mark.parametrize("slug", ["insider", "retired", "no-such-list"])
def test_it_refuses_an_unavailable_newsletter_naming_it(lists, reader, slug):
    with pytest.raises(PreferenceError, match=slug) as refused:
        newsletter_preferences_set(user=reader, subscribed={"briefing", slug}, actor=reader)
    assert refused.value.slug == slug
    assert not Signup.objects.exists()  # nothing changed


def test_it_refuses_another_readers_change(lists, reader, subscriber):
    with pytest.raises(PermissionError):
        newsletter_preferences_set(user=subscriber, subscribed=set(), actor=reader)
