"""Login rate limits per account and per address (429 with Retry-After, before the password
is checked), and the record of every failed login."""

import pytest
from django.test import Client
from django.urls import reverse

from hoopbilling.models import FailedLogin
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_RATE_WINDOW = 600


def _login(username, password, address):
    return Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password})


def test_failed_login_is_recorded_with_user_address_and_time():
    user = UserFactory(username="rec-one@example.com")
    response = _login("Rec-One@example.com", "wrong", "203.0.113.7")
    assert response.status_code == 200  # the form again, with its error
    failure = FailedLogin.objects.get(username="rec-one@example.com")
    assert failure.user == user and failure.ip_address == "203.0.113.7"
    assert failure.created_at is not None and failure.path == reverse("login")


def test_account_is_limited_after_failures_from_any_address():
    UserFactory(username="acct-limit@example.com")
    for n in range(3):
        assert _login("acct-limit@example.com", "wrong", f"198.51.100.{n}").status_code == 200
    # the right password, from yet another address, is not even checked now
    response = _login("acct-limit@example.com", PASSWORD, "198.51.100.99")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session


def test_address_is_limited_after_failures_on_many_accounts():
    for n in range(5):
        _login(f"nobody{n}-addr@example.com", "wrong", "192.0.2.50")
    user = UserFactory(username="addr-victim@example.com")
    response = _login(user.username, PASSWORD, "192.0.2.50")
    assert response.status_code == 429 and response["Retry-After"]
    # another address still gets in
    assert _login(user.username, PASSWORD, "192.0.2.51").status_code == 302


def test_success_clears_the_accounts_count():
    UserFactory(username="typo@example.com")
    for _ in range(2):
        _login("typo@example.com", "wrong", "192.0.2.80")
    assert _login("typo@example.com", PASSWORD, "192.0.2.80").status_code == 302
    for _ in range(2):
        _login("typo@example.com", "wrong", "192.0.2.81")
    assert _login("typo@example.com", PASSWORD, "192.0.2.82").status_code == 302


def test_admin_login_is_limited_too():
    UserFactory(username="op-limit@example.com", is_staff=True)
    for _ in range(3):
        Client(REMOTE_ADDR="192.0.2.90").post(
            "/admin/login/", {"username": "op-limit@example.com", "password": "wrong"})
    response = Client(REMOTE_ADDR="192.0.2.91").post(
        "/admin/login/", {"username": "op-limit@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert FailedLogin.objects.filter(username="op-limit@example.com").count() == 3
