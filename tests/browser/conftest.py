"""Fixtures for tests that drive a real Chromium through Playwright.

``browser`` is a headless Debian Chromium; ``page`` is a page in a fresh
context (cookies, storage, viewport) at 1280x900. Without
``/usr/bin/chromium`` the browser tests skip, unless
``MASTHEAD_REQUIRE_BROWSER=1`` (CI sets it), in which case they fail: a CI run
that silently skipped them would look green while testing nothing.

Read what a test needs from the database *before* the browser starts (see
``free_story``): while Playwright's sync API runs, its asyncio loop is marked
as running on the main thread, and Django refuses ORM calls there with
SynchronousOnlyOperation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Tests make no network calls except to loopback: keep Chromium from phoning home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING = f"{CHROMIUM} is missing; install Debian's chromium package to run the browser tests"


def _browser_required() -> bool:
    return os.environ.get("MASTHEAD_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    """Skip browser tests up front when Chromium is missing, before any database is built."""
    if CHROMIUM.exists() or _browser_required():
        return
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists.

    With SQLite in memory the server's threads must share the test's
    connection, and pytest-django decides that from the database name when the
    server starts; started earlier, it sees the real database's name, and each
    request thread opens a connection of its own that Django will never close.
    """
    return live_server


@pytest.fixture
def browser(transactional_db, django_db_serialized_rollback) -> Iterator:
    """A headless Chromium, launched for this test and closed after it.

    Not one per session: from start() to stop(), Playwright's loop makes Django
    hand the main thread a second set of database connections, so the test
    database's setup and flush (and the live server's shared connection, with
    SQLite in memory) would happen on connections the test doesn't use, and
    SQLite's in-memory ones are never closed. Chromium therefore starts after
    the database fixtures have set up and stops before they flush. Launching
    costs about a second.
    """
    if not CHROMIUM.exists():
        if _browser_required():
            pytest.fail(f"{MISSING} (MASTHEAD_REQUIRE_BROWSER=1 says they must run)")
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable]:
    """Opens a page in a fresh context; ``new_page(java_script_enabled=False)`` and so on.

    Every context it made is closed after the test.
    """
    contexts = []

    def open_page(**options):
        context = browser.new_context(viewport=VIEWPORT, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context, 1280x900, with JavaScript on."""
    return new_page()


@pytest.fixture
def screenshot_path(request) -> Path:
    """``var/screenshots/<test name>.png`` under the repository root (git-ignored)."""
    directory = request.config.rootpath / "var" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{request.node.name}.png"


@dataclass(frozen=True)
class Story:
    """What a browser test expects of one story, read while the ORM may still be used."""

    headline: str
    dek: str
    path: str
    authors: tuple[str, ...]
    paragraphs: tuple[str, ...]  # each paragraph's text, without markup


@pytest.fixture
def wagtail_root(transactional_db):
    """Wagtail's root page and default locale, which migrations make and a flush removes.

    live_server makes tests transactional: each ends with a flush, not a
    rollback, so a browser test that runs after any transactional test starts
    without them. (Serialized rollback would restore them, but clashes with
    the content types that post_migrate recreates after other tests' plain
    flushes.)
    """
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page

    if not Page.objects.filter(depth=1).exists():
        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        Page.add_root(title="Root", slug="root")


@pytest.fixture
def live_newsroom(live_server, wagtail_root, newsroom):
    """The ``newsroom``, committed where ``live_server``'s threads can see it.

    live_server makes the test transactional, so nothing is rolled back: the
    data is flushed after the test instead.
    """
    return newsroom


@pytest.fixture
def free_story(live_newsroom) -> Story:
    """The newsroom's free story. Request it before ``page`` or ``new_page``."""
    from django.utils.html import strip_tags

    article = live_newsroom.by_access("free")
    return Story(
        headline=article.title,
        dek=article.dek,
        path=article.url,
        authors=tuple(author.name for author in article.author_list),
        paragraphs=tuple(strip_tags(block.value.source) for block in article.body if block.block_type == "paragraph"),
    )
