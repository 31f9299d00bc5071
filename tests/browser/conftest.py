"""Fixtures for tests that drive a real Chromium through Playwright.

``browser`` is a headless Debian Chromium; ``page`` is a page in a fresh
context (cookies, storage, viewport) at 1280x900. Without
``/usr/bin/chromium`` the browser tests skip, unless
``MASTHEAD_REQUIRE_BROWSER=1`` (CI sets it), in which case they fail: a CI run
that silently skipped them would look green while testing nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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


def _unavailable() -> None:
    if _browser_required():
        pytest.fail(f"{MISSING} (MASTHEAD_REQUIRE_BROWSER=1 says they must run)")
    pytest.skip(MISSING)


def pytest_collection_modifyitems(config, items):
    """Skip browser tests up front when Chromium is missing, before any database is built."""
    if CHROMIUM.exists() or _browser_required():
        return
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.fixture
def browser(transactional_db, django_db_serialized_rollback) -> Iterator:
    """A headless Chromium, launched for this test and closed after it.

    Playwright's sync API runs an asyncio loop that stays marked as running on
    this thread from start() to stop(). While it runs, Django keys database
    connections by context rather than by thread, so the ORM reaches a second
    connection that lacks the test database's serialized contents. Chromium is
    therefore started only after the database fixtures have set up (they
    restore the rows migrations made: Wagtail's root page, the newsroom's
    groups) and stopped before they flush; a session-wide Chromium would keep
    the loop running across those steps. Launching takes well under a second.
    """
    if not CHROMIUM.exists():
        _unavailable()

    from django.db import connections

    # ORM calls made from the test body while Playwright runs are synchronous,
    # but Django sees the running loop and would raise SynchronousOnlyOperation.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        # Close the connections the test body opened while the loop ran; once
        # it stops, nothing could reach them to close them.
        connections.close_all()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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


@pytest.fixture
def live_newsroom(live_server, newsroom):
    """The ``newsroom``, committed where ``live_server``'s thread can see it.

    live_server makes the test transactional, so nothing is rolled back: the
    data is flushed after the test instead.
    """
    return newsroom
