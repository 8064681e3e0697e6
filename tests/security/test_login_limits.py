"""Login rate limits per account and per address (429 with Retry-After, before the password
is checked), and the record of every failed login."""

import uuid

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


def unique(name: str) -> str:
    """Counters live in the shared cache (Redis in CI) for a whole window: each run of a test
    uses names and addresses of its own, so an earlier run's count never leaks in."""
    return f"{uuid.uuid4().hex[:8]}-{name}"


def address() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


def _login(username, password, address):
    return Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password})


def test_failed_login_is_recorded_with_user_address_and_time():
    user, where = UserFactory(username=unique("rec@example.com")), address()
    response = _login(user.username.upper(), "wrong", where)
    assert response.status_code == 200  # the form again, with its error
    failure = FailedLogin.objects.get(username=user.username)
    assert failure.user == user and failure.ip_address == where
    assert failure.created_at is not None and failure.path == reverse("login")


def test_account_is_limited_after_failures_from_any_address():
    user = UserFactory(username=unique("acct-limit@example.com"))
    for _ in range(3):
        assert _login(user.username, "wrong", address()).status_code == 200
    # the right password, from yet another address, is not even checked now
    response = _login(user.username, PASSWORD, address())
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session


def test_address_is_limited_after_failures_on_many_accounts():
    busy = address()
    for _ in range(5):
        _login(unique("nobody@example.com"), "wrong", busy)
    user = UserFactory(username=unique("addr-victim@example.com"))
    response = _login(user.username, PASSWORD, busy)
    assert response.status_code == 429 and response["Retry-After"]
    # another address still gets in
    assert _login(user.username, PASSWORD, address()).status_code == 302


def test_success_clears_the_accounts_count():
    name = UserFactory(username=unique("typo@example.com")).username
    for _ in range(2):
        _login(name, "wrong", address())
    assert _login(name, PASSWORD, address()).status_code == 302
    for _ in range(2):
        _login(name, "wrong", address())
    assert _login(name, PASSWORD, address()).status_code == 302


def test_admin_login_is_limited_too():
    name = UserFactory(username=unique("op-limit@example.com"), is_staff=True).username
    for _ in range(3):
        Client(REMOTE_ADDR=address()).post(
            "/admin/login/", {"username": name, "password": "wrong"})
    response = Client(REMOTE_ADDR=address()).post(
        "/admin/login/", {"username": name, "password": PASSWORD})
    assert response.status_code == 429
    assert FailedLogin.objects.filter(username=name).count() == 3


def test_a_failed_login_keeps_the_email_typed_and_not_the_password():
    username = unique("keep@x.test")
    response = _login(username, "wrong-password", address())
    html = response.content.decode()
    assert "didn't match" in html
    assert f'value="{username}"' in html and "wrong-password" not in html
