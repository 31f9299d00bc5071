"""A reader hits the paywall, picks the intro offer, creates an account, pays, and reads on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def in_thread(query):
    """Run an ORM query while Playwright's loop owns the main thread (Django refuses it there)."""

    def run():
        try:
            return query()
        finally:
            connection.close()  # the thread's own connection, which nothing else would close

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def metered_out(live_newsroom):
    """Five metered stories to use up the meter on, and a sixth that hits the wall; plus the plans and offers."""
    from masthead.billing.tests.conftest import Catalogue
    from masthead.content.tests import factories

    Catalogue()
    stories = [factories.article(live_newsroom.economy, title=f"Metered story {n}") for n in range(6)]
    return [story.url for story in stories]


def use_up_the_meter(page, base, paths):
    for path in paths[:5]:
        page.goto(base + path)
        expect(page.locator(".paywall-prompt")).to_have_count(0)
    page.goto(base + paths[5])
    expect(page.locator(".paywall-prompt")).to_be_visible()


def fill_checkout(page, *, email, number):
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill("a long and unusual passphrase")
    page.get_by_label("Name on card").fill("Kenji Sato")
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="and subscribe").click()


def test_a_reader_subscribes_from_the_paywall_and_reads_the_story_in_full(
    live_server, metered_out, page, screenshot_path
):
    base, story = live_server.url, metered_out[5]
    use_up_the_meter(page, base, metered_out)
    prompt = page.locator(".paywall-prompt")
    expect(prompt.locator(".paywall-offer")).to_have_count(2)
    expect(prompt).to_contain_text("$0.99 for your first month")
    expect(prompt).to_contain_text("3 months for $9")
    expect(page.locator(".paywalled-content")).to_have_count(0)
    page.screenshot(path=screenshot_path.with_name("paywall-offers.png"), full_page=True)

    prompt.locator(".paywall-offer", has_text="$0.99 for your first month").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Subscribe")
    expect(page.locator(".checkout-summary")).to_contain_text("$0.99 today")
    expect(page.locator(".checkout-summary")).to_contain_text("Then $15.00 a month from")
    page.screenshot(path=screenshot_path.with_name("checkout.png"), full_page=True)
    fill_checkout(page, email="kenji@example.com", number="4242 4242 4242 4242")

    page.wait_for_url(base + story)
    expect(page.locator(".paywall-prompt")).to_have_count(0)
    expect(page.locator(".paywalled-content")).to_be_visible()

    page.goto(base + "/account/")
    account = page.get_by_role("main")
    expect(account).to_contain_text("Digital, monthly")
    expect(account).to_contain_text("Active")
    expect(account.locator(".invoice-list")).to_contain_text("INV-")
    page.screenshot(path=screenshot_path, full_page=True)


def test_a_declined_card_is_explained_and_leaves_no_subscription(live_server, metered_out, page, screenshot_path):
    from masthead.billing.models import Subscription

    base = live_server.url
    use_up_the_meter(page, base, metered_out)
    page.locator(".paywall-offer").first.get_by_role("link").click()
    fill_checkout(page, email="declined@example.com", number="4000 0000 0000 0002")

    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    expect(page.get_by_label("Email address")).to_have_value("declined@example.com")
    page.screenshot(path=screenshot_path, full_page=True)
    assert in_thread(lambda: Subscription.objects.count()) == 0
