"""Playwright fixtures for every app's browser tests (a pytest plugin; see the root conftest).

Debian's Chromium at /usr/bin/chromium; one browser context per person; a screenshot of
every open page in ``test-artifacts/`` when a test fails. Without Chromium the tests skip,
unless ``REQUIRE_BROWSER=1`` (CI), where they fail.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TIMEOUT_MS = 15_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER=1 (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's async-safety guard would refuse them without this.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # ORM calls made while Playwright runs get their own connection (Django keeps
        # connections per context, and Playwright switches contexts); close it here, or the
        # test database cannot be dropped at the end of the run.
        connections.close_all()


@pytest.fixture
def new_page(browser, request):
    """``new_page(user=None, base_url=None, bypass_csp=False, locale=None)``: a page in a fresh
    context (a separate person); ``locale`` (say ``zh-CN``) is the browser's language, sent as
    Accept-Language.

    With ``user`` (and the live server's ``base_url``) the page starts signed in, through a
    session made by Django's test client. ``bypass_csp`` lets a test inject its own inline
    scripts (axe), which the console's Content-Security-Policy refuses.
    """
    pages = []

    def open_page(
        *, user=None, base_url: str | None = None, bypass_csp: bool = False, locale: str | None = None
    ):
        context = browser.new_context(
            base_url=base_url, accept_downloads=True, bypass_csp=bypass_csp, locale=locale
        )
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        pages.append(page)
        return page

    yield open_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        for n, page in enumerate(pages):
            page.screenshot(path=str(ARTIFACTS / f"{name}-{n}.png"), full_page=True)
    for page in pages:
        page.context.close()
