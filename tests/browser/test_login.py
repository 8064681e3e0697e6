import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import login, screenshot
from tests.factories import AgencyMembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_agency_admin_logs_in_and_sees_their_agency(browser, live_server):
    membership = AgencyMembershipFactory(agency__name="Northwind", user__username="a@x.test")
    login(browser, live_server, "a@x.test", "correct-horse-battery")
    assert "Northwind" in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, "home")
    assert membership.user.email in browser.find_element(By.CLASS_NAME, "topbar").text


def test_wrong_password_shows_an_error(browser, live_server):
    AgencyMembershipFactory(user__username="b@x.test")
    login(browser, live_server, "b@x.test", "wrong")
    assert "didn't match" in browser.find_element(By.TAG_NAME, "main").text
