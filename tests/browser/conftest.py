"""A real browser for the admin tests: Debian's chromium driven by Playwright."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (dev extra)")
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        page = browser.new_page()
        yield page
        browser.close()


@pytest.fixture
def admin_page(browser_page, live_server, make_user):
    """A browser page logged in to the admin as a superuser (make_user's password, hashed once for the run)."""
    make_user("admin", superuser=True)
    browser_page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    browser_page.fill("#id_username", "admin")
    browser_page.fill("#id_password", "pw-for-tests")
    browser_page.click("input[type=submit]")
    browser_page.wait_for_selector("#site-name")
    return browser_page
