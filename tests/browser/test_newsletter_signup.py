import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def briefing(live_newsroom):
    from masthead.newsletters.models import Newsletter

    return Newsletter.objects.create(
        name="The Morning Briefing", slug="briefing", cadence="Every morning", opt_in_by_default=True
    ).name


def test_it_signs_up_from_the_box_under_a_story_without_javascript(
    live_server, free_story, briefing, new_page, screenshot_path
):
    page = new_page(java_script_enabled=False)
    page.goto(live_server.url + free_story.path)

    box = page.locator(".newsletter-box")
    expect(box.get_by_role("checkbox", name=briefing)).to_be_checked()
    box.get_by_label("Email address").fill("zoe@example.com")
    box.screenshot(path=str(screenshot_path))
    box.get_by_role("button", name="Sign up").click()

    page.wait_for_url(live_server.url + "/newsletters/check-your-inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
