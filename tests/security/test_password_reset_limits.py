"""Password reset is throttled per account and per caller's address: past the limit nothing is
mailed and the answer is the same page, whether or not the account exists."""

import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from hoopbilling.models import OutgoingEmail
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PASSWORD_RESETS_PER_ACCOUNT = 3
    settings.PASSWORD_RESETS_PER_ADDRESS = 10
    settings.PASSWORD_RESET_RATE_WINDOW = 3600


def address() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


def reset(email, where, capture):
    with capture(execute=True):  # the outbox's task runs inline after the commit
        return Client(REMOTE_ADDR=where).post(reverse("password_reset"), {"email": email})


def test_twelve_requests_for_one_account_mail_it_three_times(
        django_capture_on_commit_callbacks):
    user = UserFactory(username=f"{uuid.uuid4().hex[:8]}@example.com")
    answers = [reset(user.email, address(), django_capture_on_commit_callbacks)
               for _ in range(12)]
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("password_reset_done"))}
    assert [m.to for m in mail.outbox] == [[user.email]] * 3
    assert OutgoingEmail.objects.filter(to=user.email).count() == 3


def test_one_address_asking_for_many_accounts_is_limited(django_capture_on_commit_callbacks):
    users = [UserFactory(username=f"{uuid.uuid4().hex[:8]}@example.com") for _ in range(12)]
    where = address()
    answers = [reset(user.email, where, django_capture_on_commit_callbacks) for user in users]
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 10
    # another caller still gets the link
    reset(users[-1].email, address(), django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [users[-1].email] and len(mail.outbox) == 11


def test_limited_and_unknown_accounts_get_the_same_page(django_capture_on_commit_callbacks):
    user = UserFactory(username=f"{uuid.uuid4().hex[:8]}@example.com")
    for _ in range(3):
        reset(user.email, address(), django_capture_on_commit_callbacks)
    limited = reset(user.email, address(), django_capture_on_commit_callbacks)
    unknown = reset("no-one@example.com", address(), django_capture_on_commit_callbacks)
    assert limited.status_code == unknown.status_code == 302
    assert limited["Location"] == unknown["Location"]
    assert Client().get(limited["Location"]).content == Client().get(unknown["Location"]).content
    assert len(mail.outbox) == 3
