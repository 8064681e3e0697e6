"""Login, logout, password reset and change pages; the security headers on every page."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import AgencyMembershipFactory, EntryFactory, UserFactory, wallet_with_card

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_pages_send_a_content_security_policy_allowing_only_our_own_files():
    response = Client().get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_carry_no_inline_script_or_handler():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    offending = []
    for path in templates.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
                r"\son[a-z]+\s*=", text) or "javascript:" in text or re.search(r"\sstyle=", text):
            offending.append(str(path.relative_to(templates)))
    assert not offending


def test_login_and_logout():
    UserFactory(username="in-out@example.com")
    client = Client()
    page = client.get(reverse("login"))
    assert b"Forgot your password?" in page.content and b"csrfmiddlewaretoken" in page.content
    response = client.post(reverse("login"), {"username": "in-out@example.com",
                                              "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_csrf_is_enforced_on_login():
    UserFactory(username="csrf@example.com")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "csrf@example.com",
                                              "password": "correct-horse-battery"})
    assert response.status_code == 403


def test_password_reset_by_email_link(eager_celery, django_capture_on_commit_callbacks):
    user = UserFactory(username="forgot@example.com")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox's task, inline
        response = client.post(reverse("password_reset"), {"email": "forgot@example.com"})
    assert response.status_code == 302
    assert b"Check your email" in client.get(response["Location"]).content
    [message] = mail.outbox
    link = re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    done = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
        follow=True)
    assert b"Your password is set" in done.content
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase")
    # the link works once
    assert b"This link no longer works" in client.get(link, follow=True).content


def test_password_reset_does_not_tell_whether_an_address_has_an_account():
    response = Client().post(reverse("password_reset"), {"email": "no-one@example.com"})
    assert response.status_code == 302 and not mail.outbox


def test_password_change_needs_the_old_password():
    user = UserFactory(username="change@example.com")
    client = Client()
    client.force_login(user)
    assert b"Change your password" in client.get(reverse("password_change")).content
    wrong = client.post(reverse("password_change"), {
        "old_password": "nope", "new_password1": "another-long-phrase",
        "new_password2": "another-long-phrase"})
    assert wrong.status_code == 200
    right = client.post(reverse("password_change"), {
        "old_password": "correct-horse-battery", "new_password1": "another-long-phrase",
        "new_password2": "another-long-phrase"}, follow=True)
    assert b"Password changed" in right.content
    user.refresh_from_db()
    assert user.check_password("another-long-phrase")


NEVER_CACHE = {"max-age=0", "no-cache", "no-store", "must-revalidate", "private"}


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_signed_in_pages_and_exports_are_never_stored(client):
    membership = AgencyMembershipFactory()
    wallet = wallet_with_card(agency=membership.agency, balance="12.00")
    EntryFactory(wallet=wallet, amount="1.00")
    client.force_login(membership.user)
    for url in ("/", "/agency/clients/", "/agency/clients/?export=csv", "/billing/",
                f"/billing/clients/{wallet.sub_account_id}/ledger/",
                f"/billing/clients/{wallet.sub_account_id}/ledger.csv",  # streamed
                "/agency/notifications/?format=csv", "/no-such-page/"):
        response = client.get(url)
        assert _cache_control(response) >= NEVER_CACHE, url


def test_api_answers_are_never_stored(api, client):
    assert _cache_control(api.get("/api/v1/agency")) >= NEVER_CACHE
    assert _cache_control(api.get("/api/v1/subaccounts")) >= NEVER_CACHE
    # refusals too: the key's bearer learns nothing a cache could replay
    assert _cache_control(client.get("/api/v1/agency")) >= NEVER_CACHE


def test_deciding_about_an_anonymous_request_leaves_the_session_unread():
    # no session cookie, nobody signed in: the answer does not start varying on Cookie
    assert "Cookie" not in Client().get(reverse("healthz")).get("Vary", "")
