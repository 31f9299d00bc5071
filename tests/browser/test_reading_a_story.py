import json
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# "November 11, 2016 5:44 am JST": the test settings publish from Asia/Tokyo.
NEWSROOM_TIME = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December)"
    r" \d{1,2}, \d{4} \d{1,2}:\d{2} (am|pm) JST$"
)


def test_it_lets_a_visitor_open_the_front_page_and_read_a_story(live_server, free_story, page, screenshot_path):
    story = free_story
    page.goto(live_server.url + "/")
    expect(page).to_have_title(re.compile(re.escape(settings.PUBLICATION_NAME)))
    expect(page.get_by_role("heading", level=1)).to_have_text(settings.PUBLICATION_NAME)
    story_links = page.locator(".card-headline a")
    expect(story_links.first).to_be_visible()
    assert story_links.count() >= 3

    page.get_by_role("link", name=story.headline, exact=True).first.click()
    page.wait_for_url(live_server.url + story.path)

    expect(page).to_have_title(f"{story.headline} | {settings.PUBLICATION_NAME}")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(story.headline)
    expect(page.get_by_role("main")).to_have_count(1)
    article = page.get_by_role("main").locator("article")
    expect(article.locator(".article-dek")).to_have_text(story.dek)
    expect(article.locator(".byline")).to_have_text(f"By {' and '.join(story.authors)}")
    for author in story.authors:
        expect(article.get_by_role("link", name=author, exact=True).first).to_be_visible()
    published = article.locator(".article-meta time")
    expect(published).to_have_text(NEWSROOM_TIME)
    expect(published).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}T"))
    assert story.paragraphs, "the free story should have body paragraphs"
    body = article.locator(".article-body p")
    expect(body).to_have_text(list(story.paragraphs))
    for n in range(len(story.paragraphs)):
        expect(body.nth(n)).to_be_visible()

    json_ld = page.locator('script[type="application/ld+json"]')
    expect(json_ld).to_have_count(1)
    data = json.loads(json_ld.text_content())
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.headline
    assert data["isAccessibleForFree"] is True

    page.screenshot(path=screenshot_path, full_page=True)
    assert screenshot_path.stat().st_size > 0
