from masthead.accounts.tests.conftest import log_in, logged_in
from masthead.content.tests import factories


def test_it_keeps_what_the_browser_read_when_logging_in_through_the_form(client, verified_reader, newsroom):
    stories = [factories.article(newsroom.economy, title=f"Story {n}") for n in range(11)]
    for story in stories[:5]:  # the anonymous allowance
        client.get(story.url)

    log_in(client, verified_reader.email)
    assert logged_in(client)
    # The account holds the browser's five reads: five more reach the registered limit of ten.
    for story in stories[5:10]:
        assert "paywall-prompt" not in client.get(story.url).content.decode()
    assert "paywall-prompt" in client.get(stories[10].url).content.decode()
