import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_it_lets_a_keyboard_user_skip_to_the_content(live_server, free_story, page):
    page.goto(live_server.url + free_story.path)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # kept off-screen until it has focus

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
