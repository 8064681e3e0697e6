"""With Redis down, what Redis only accelerates fails open: usage is charged and answered,
logins are checked, /healthz says "degraded"; a failing follow-up never turns a committed
charge into an error. (A private redis-server, killed; any database.)"""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.dispatch import receiver

from hoopbilling.outages import cache_breaker, fallbacks
from tests.factories import UserFactory, wallet_with_card
from wallets.ledger.signals import wallet_debited
from wallets.usage.models import UsageCharge

pytestmark = pytest.mark.django_db


def usage(api, wallet, key: str):
    return api.post("/api/v1/usage", {"sub_account": str(wallet.sub_account_id),
                                      "item": "sms_outbound", "quantity": "1",
                                      "idempotency_key": key}, format="json")


def test_usage_is_charged_and_answered_while_redis_is_down(
        api, redis_everywhere, django_capture_on_commit_callbacks):
    # given a client below its auto top-up threshold (each debit asks for a follow-up)
    wallet = wallet_with_card(balance="1.00", agency=api.agency, auto={
        "threshold": Decimal("5"), "amount": Decimal("20"), "max_balance": None})
    assert usage(api, wallet, "before").status_code == 201
    before = fallbacks["cache"] + fallbacks["broker"]

    # when Redis dies
    redis_everywhere.kill()
    with django_capture_on_commit_callbacks(execute=True):
        answers = [usage(api, wallet, f"down-{n}") for n in range(5)]

    # then every event is charged and answered; the skipped calls are counted
    assert [response.status_code for response in answers] == [201] * 5
    assert UsageCharge.objects.filter(sub_account_id=wallet.sub_account_id).count() == 6
    assert fallbacks["cache"] + fallbacks["broker"] > before


def test_a_login_is_still_checked_while_redis_is_down(client, redis_everywhere):
    user = UserFactory(username="ana@example.com")
    user.set_password("right-password-1")
    user.save()
    redis_everywhere.kill()

    wrong = client.post("/accounts/login/", {"username": "ana@example.com",
                                             "password": "wrong"})
    right = client.post("/accounts/login/", {"username": "ana@example.com",
                                             "password": "right-password-1"})

    assert wrong.status_code == 200  # the form again, with its error
    assert right.status_code == 302


def test_the_breaker_leaves_redis_alone_for_its_cooldown(redis_everywhere):
    cache.set("kept", "value")
    redis_everywhere.kill()
    assert cache.get("kept") is None  # down: a miss, and the breaker opens
    redis_everywhere.start()
    assert cache.get("kept") is None  # back, but not asked again within the cooldown
    cache_breaker.reset()  # the cooldown is over
    cache.set("kept", "again")
    assert cache.get("kept") == "again"


def test_healthz_reports_each_dependency(client, redis_everywhere):
    up = client.get("/healthz").json()
    assert up == {"status": "ok", "fallbacks": up["fallbacks"],
                  "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}

    redis_everywhere.kill()
    response = client.get("/healthz")

    assert response.status_code == 200  # usage is still served
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"] == {"database": "ok", "cache": "down", "broker": "down"}


def test_a_failing_follow_up_never_turns_a_committed_charge_into_an_error(
        api, django_capture_on_commit_callbacks):
    wallet = wallet_with_card(balance="1.00", agency=api.agency, auto={
        "threshold": Decimal("5"), "amount": Decimal("20"), "max_balance": None})

    @receiver(wallet_debited, weak=False, dispatch_uid="test.failing_follow_up")
    def failing_follow_up(**kwargs):
        raise RuntimeError("the follow-up broke")

    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = usage(api, wallet, "k1")
    finally:
        wallet_debited.disconnect(dispatch_uid="test.failing_follow_up")

    assert response.status_code == 201
    assert UsageCharge.objects.filter(sub_account_id=wallet.sub_account_id).count() == 1
