"""Each reader's state gets its own prompt; the countdown shows near the end of the meter."""

import pytest

from masthead.metering.models import MeterRules
from masthead.paywall.models import PromptCopy
from masthead.paywall.tests.conftest import read_all


def prompt_kind(html):
    marker = 'data-prompt="'
    return html.split(marker, 1)[1].split('"', 1)[0] if marker in html else None


def test_an_anonymous_reader_out_of_articles_is_asked_to_subscribe_or_log_in(visitor, story, other_stories):
    read_all(visitor, other_stories[:5])
    html = visitor.get(story.url).content.decode()
    assert prompt_kind(html) == "subscribe_or_log_in"
    assert "/subscribe/?next=" in html and "/accounts/login/?next=" in html


def test_the_registration_wall_asks_anonymous_readers_to_register(visitor, story, other_stories):
    rules = MeterRules.load()
    rules.registration_wall_after = 2
    rules.save()
    from masthead.metering import policy

    policy.forget_cached_rules()
    read_all(visitor, other_stories[:2])
    html = visitor.get(story.url).content.decode()
    assert prompt_kind(html) == "register"
    assert "/accounts/signup/?next=" in html


def test_a_registered_reader_out_of_articles_is_asked_to_subscribe(client, reader, story, other_stories):
    client.force_login(reader)
    read_all(client, other_stories[:10])
    assert prompt_kind(client.get(story.url).content.decode()) == "subscribe"


def test_a_reader_whose_renewal_failed_is_asked_to_update_payment(client, reader, subscribe, story, other_stories):
    subscribe(reader, status="past_due", days=-1)
    client.force_login(reader)
    read_all(client, other_stories[:5])
    html = client.get(story.url).content.decode()
    assert prompt_kind(html) == "update_payment"
    assert "We could not renew your subscription" in html
    assert 'href="/account/billing/"' in html


def test_a_former_subscriber_is_asked_to_resubscribe(client, reader, subscribe, story, other_stories):
    subscribe(reader, status="canceled", days=-3)
    client.force_login(reader)
    read_all(client, other_stories[:5])
    assert prompt_kind(client.get(story.url).content.decode()) == "resubscribe"


def test_a_subscribers_only_story_asks_to_subscribe_at_once(visitor, newsroom):
    html = visitor.get(newsroom.by_access("subscribers").url).content.decode()
    assert prompt_kind(html) == "subscribers_only"


def test_staff_wording_replaces_the_default(visitor, story, other_stories):
    copy = PromptCopy.objects.get(kind="subscribe_or_log_in")
    copy.heading = "Support independent reporting"
    copy.save()
    from masthead.paywall.prompts import forget_cached_copy

    forget_cached_copy()
    read_all(visitor, other_stories[:5])
    assert "Support independent reporting" in visitor.get(story.url).content.decode()


@pytest.mark.parametrize(
    ("already_read", "notice"), [(0, None), (2, "2 of 5"), (3, "1 of 5"), (4, "last free article")]
)
def test_it_counts_down_the_free_articles(visitor, story, other_stories, already_read, notice):
    read_all(visitor, other_stories[:already_read])
    html = visitor.get(story.url).content.decode()
    if notice is None:
        assert "meter-notice" not in html
    else:
        assert "meter-notice" in html and notice in html


def test_free_stories_stay_cacheable_and_set_no_cookie(visitor, newsroom):
    response = visitor.get(newsroom.by_access("free").url)
    assert "private" not in response.get("Cache-Control", "")
    assert "mh_reader" not in response.cookies


def test_the_reader_cookie_is_signed_httponly_and_lax(visitor, newsroom):
    response = visitor.get(newsroom.by_access("metered").url)
    cookie = response.cookies["mh_reader"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) > 365 * 24 * 3600
    visitor.cookies["mh_reader"] = "forged-value"
    again = visitor.get(newsroom.by_access("metered").url)
    assert again.cookies["mh_reader"].value != "forged-value"  # a forged id is replaced, never trusted
