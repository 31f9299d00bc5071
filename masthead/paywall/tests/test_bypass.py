"""After a reader's meter runs out, no locked paragraph leaves the server, by any route."""

import pytest

from masthead.paywall.tests.conftest import GOOGLE_IP, GOOGLEBOT_UA, read_all


def assert_locked(html: str, story) -> None:
    leaked = [word for word in story.locked_words() if word in html]
    assert leaked == [], f"locked text leaked: {leaked[:5]}"


def assert_whole(html: str, story) -> None:
    assert all(word in html for word in story.locked_words())


@pytest.fixture
def spent(visitor, story, other_stories):
    """An anonymous browser that has read its five free articles."""
    read_all(visitor, other_stories[:5])
    return visitor


def test_the_plain_page_shows_the_lead_in_and_a_prompt_only(spent, story):
    response = spent.get(story.url)
    html = response.content.decode()
    assert_locked(html, story)
    assert all(word in html for word in story.lead_in_words())
    assert 'data-prompt="subscribe_or_log_in"' in html
    assert 'class="paywalled-content"' not in html
    assert "private" in response["Cache-Control"]


def test_a_googlebot_user_agent_from_elsewhere_gets_the_lead_in(spent, story):
    assert_locked(spent.get(story.url, HTTP_USER_AGENT=GOOGLEBOT_UA).content.decode(), story)


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(spent, story):
    html = spent.get(story.url, HTTP_USER_AGENT=GOOGLEBOT_UA, HTTP_X_FORWARDED_FOR=GOOGLE_IP).content.decode()
    assert_locked(html, story)


@pytest.mark.parametrize("referer", ["https://www.google.com/", "https://www.facebook.com/", "https://t.co/x"])
def test_a_search_or_social_referrer_unlocks_nothing_by_default(spent, story, referer):
    assert_locked(spent.get(story.url, HTTP_REFERER=referer).content.decode(), story)


def log_out(client):
    """Log out as a browser does, through the logout view. (The test client's own logout()
    also throws away every cookie, like clearing browsing data, which no meter can survive.)"""
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_logging_out_does_not_restore_free_articles(client, reader, story, other_stories):
    client.force_login(reader)
    read_all(client, other_stories[:10])  # the registered allowance
    assert_locked(client.get(story.url).content.decode(), story)
    log_out(client)
    assert_locked(client.get(story.url).content.decode(), story)


def test_logging_in_keeps_what_the_browser_already_read(client, reader, story, other_stories):
    read_all(client, other_stories[:5])
    client.force_login(reader)
    # The account now holds the browser's five; five more to the registered limit of ten.
    read_all(client, other_stories[5:10])
    assert_locked(client.get(story.url).content.decode(), story)
    log_out(client)
    assert_locked(client.get(story.url).content.decode(), story)
    client.force_login(reader)
    assert_locked(client.get(story.url).content.decode(), story)


def test_feeds_sitemaps_and_search_carry_no_locked_text(spent, story):
    for url in ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/politics/rss.xml", "/sitemap.xml", "/news-sitemap.xml"]:
        assert_locked(spent.get(url).content.decode(), story)
    query = story.locked_words()[0]
    # The results page repeats the reader's own query; nothing else of the locked text may appear.
    results = spent.get("/search/", {"q": query}).content.decode().replace(query, "")
    assert_locked(results, story)
    assert_locked(spent.get("/search/", {"q": "locked story"}).content.decode(), story)


def test_structured_data_and_meta_tags_carry_no_locked_text(visitor, story):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(visitor.get(story.url).content, "html.parser")
    head = " ".join([str(tag) for tag in soup.find_all("meta")] + [s.string or "" for s in soup.find_all("script")])
    assert_locked(head, story)
    assert "articleBody" not in head


def test_a_subscriber_reads_the_whole_story(client, reader, subscribe, story, other_stories):
    subscribe(reader)
    client.force_login(reader)
    read_all(client, other_stories)
    html = client.get(story.url).content.decode()
    assert_whole(html, story)
    assert "paywall-prompt" not in html


def test_a_verified_crawler_reads_the_whole_story_with_paywall_markup(spent, story):
    import extruct

    response = spent.get(story.url, HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOGLE_IP)
    html = response.content.decode()
    assert_whole(html, story)
    [article] = extruct.extract(html, syntaxes=["json-ld"])["json-ld"]
    assert article["isAccessibleForFree"] is False
    assert article["hasPart"]["cssSelector"] == ".paywalled-content"
    assert 'class="paywalled-content"' in html


def test_a_trusted_proxy_may_vouch_for_a_crawler(settings, visitor, story, other_stories):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    from django.test import Client

    proxied = Client(REMOTE_ADDR="10.1.2.3")
    read_all(proxied, other_stories[:5])
    html = proxied.get(story.url, HTTP_USER_AGENT=GOOGLEBOT_UA, HTTP_X_FORWARDED_FOR=GOOGLE_IP).content.decode()
    assert_whole(html, story)
