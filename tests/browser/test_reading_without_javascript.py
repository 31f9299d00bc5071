import pytest
from playwright.sync_api import expect

from masthead.content.tests.factories import words

pytestmark = pytest.mark.browser


def test_it_shows_the_article_without_javascript(live_server, live_newsroom, new_page):
    story = live_newsroom.by_access("free")
    page = new_page(java_script_enabled=False)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name=story.title, exact=True).first.click()
    page.wait_for_url(live_server.url + story.url)

    expect(page.get_by_role("heading", level=1)).to_have_text(story.title)
    # The newsroom factory marks the free story's words "freep<paragraph>w<word>".
    expect(page.get_by_text(words("freep0w", 40), exact=True)).to_be_visible()
    expect(page.get_by_text(words("freep5w", 40), exact=True)).to_be_visible()
