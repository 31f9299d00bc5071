import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_it_shows_the_article_without_javascript(live_server, free_story, new_page):
    page = new_page(java_script_enabled=False)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name=free_story.headline, exact=True).first.click()
    page.wait_for_url(live_server.url + free_story.path)

    expect(page.get_by_role("heading", level=1)).to_have_text(free_story.headline)
    body = page.get_by_role("main").locator(".article-body p")
    expect(body).to_have_text(list(free_story.paragraphs))
    expect(body.first).to_be_visible()
    expect(body.last).to_be_visible()
