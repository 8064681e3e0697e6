"""Real Chromium (Debian's chromium + chromium-driver) driven by Selenium against Django's
live server. `browser` is a logged-out driver; `login(browser, live_server, user)` signs in
through the real login form.

Set SCREENSHOTS=1 to save a PNG per `screenshot(browser, name)` call under docs/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """The browser journeys run on PostgreSQL only: between tests the live server's database is
    flushed, and on SQLite that flush meets the append-only triggers of the ledger, the audit
    log and the invoices ("DELETE refused"), which also leaves rows behind for later tests.
    CI (PostgreSQL, REQUIRE_BROWSER=1) runs them all; there a skip is an error."""
    if connection.vendor == "postgresql":
        return
    mine = [item for item in items if HERE in Path(item.path).resolve().parents]
    if mine and os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"{len(mine)} browser tests need PostgreSQL: set DATABASE_URL")
    skip = pytest.mark.skip(reason="browser journeys need PostgreSQL (the live server's flush "
                                   "meets SQLite's append-only triggers)")
    for item in mine:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def _chromium_paths():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required (apt-get install chromium "
                        "chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    return chromium, driver


@pytest.fixture
def browser(_chromium_paths):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = _chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(3)
    yield driver
    driver.quit()


def click_and_wait(browser, element):
    """Click a link or a submit button and wait for the next page to load: reading the old page
    meanwhile races the navigation (an element found on the old page and read on the new one
    fails with "Node … does not belong to the document"). While Chrome swaps the documents,
    asking about the old one can fail the same way: asked again."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    old_document = browser.find_element(By.TAG_NAME, "html")
    element.click()
    wait = WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,))
    wait.until(staleness_of(old_document))
    wait.until(lambda b: b.execute_script("return document.readyState") == "complete")


def login(browser, live_server, username, password):
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def screenshot(browser, name):
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT_DIR / f"{name}.png"))
