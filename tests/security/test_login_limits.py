"""Login rate limits per account and per address (429 with Retry-After, before the password
is checked), and the record of every failed login."""

import uuid

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from hoopbilling.models import FailedLogin
from hoopbilling.security import client_address, trusted_proxies_check
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


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_with_no_trusted_proxy_a_forwarded_header_never_changes_the_address(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, []
    assert client_address(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"
    assert client_address(_request("198.51.100.7", "garbage, 10.0.0.1")) == "198.51.100.7"
    assert client_address(_request("198.51.100.7")) == "198.51.100.7"


def test_behind_one_trusted_proxy_the_address_it_appended_is_taken(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 1, []
    proxy = "10.0.0.2"
    # the proxy appended the address it was reached from; what the caller wrote is left of it
    assert client_address(_request(proxy, "203.0.113.9")) == "203.0.113.9"
    assert client_address(_request(proxy, "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    assert client_address(_request(proxy, "not-an-address, 203.0.113.9")) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2  # a CDN in front of the proxy
    assert client_address(_request(proxy, "1.2.3.4, 203.0.113.9, 192.0.2.50")) == "203.0.113.9"


def test_trusted_proxy_list_takes_the_header_only_from_those_proxies(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.2", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    # reached directly, not through the proxy: the header is the caller's own writing
    assert client_address(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


@pytest.mark.parametrize("proxies", [{"TRUSTED_PROXY_COUNT": 0, "TRUSTED_PROXIES": []},
                                     {"TRUSTED_PROXY_COUNT": 1, "TRUSTED_PROXIES": []},
                                     {"TRUSTED_PROXY_COUNT": 0,
                                      "TRUSTED_PROXIES": ["10.0.0.0/8"]}])
def test_address_limit_cannot_be_dodged_with_a_made_up_forwarded_header(settings, proxies):
    for name, value in proxies.items():
        setattr(settings, name, value)
    # behind the proxy the caller's real address is the one the proxy appends last
    caller = f"203.0.{uuid.uuid4().bytes[0]}.{uuid.uuid4().bytes[1] or 1}"
    proxy = "10.0.0.2" if proxies["TRUSTED_PROXY_COUNT"] or proxies["TRUSTED_PROXIES"] else None

    def attempt(username, password):
        spoofed = f"{address()}, {address()}"
        if proxy is None:  # straight to the app
            client = Client(REMOTE_ADDR=caller, HTTP_X_FORWARDED_FOR=spoofed)
        else:
            client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"{spoofed}, {caller}")
        return client.post(reverse("login"), {"username": username, "password": password})

    for _ in range(5):
        attempt(unique("nobody@example.com"), "wrong")
    user = UserFactory(username=unique("spoof-victim@example.com"))
    assert attempt(user.username, PASSWORD).status_code == 429
    assert set(FailedLogin.objects.values_list("ip_address", flat=True)) == {caller}


def test_a_trusted_proxy_entry_that_is_no_address_fails_the_system_check(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.internal"]
    [error] = trusted_proxies_check(None)
    assert error.id == "hoopbilling.E001" and "proxy.internal" in error.msg
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert trusted_proxies_check(None) == []
