"""The database goes away for a moment under the live server: requests that cannot reach it
answer 503 `service_unavailable` with Retry-After, nothing is half-written, and a client that
retries with the same idempotency keys is charged exactly once per event."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import wallet_with_card
from tests.faults.conftest import TcpProxy, http
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry
from wallets.usage.models import UsageCharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def database_proxy():
    """New database connections of every thread go through a proxy the test can cut (the
    test's own connection, opened already, keeps going straight to PostgreSQL)."""
    connection.ensure_connection()
    settings_dict = connection.settings_dict
    proxy = TcpProxy((settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)))
    previous = settings_dict["PORT"]
    settings_dict["PORT"] = proxy.port  # shared by every thread's connection
    try:
        yield proxy
    finally:
        settings_dict["PORT"] = previous
        proxy.close()


def usage_event(sub_account_id, key: str) -> dict:
    return {"sub_account": str(sub_account_id), "item": "sms_outbound", "quantity": "1",
            "idempotency_key": key}


def test_database_cut_mid_burst_answers_503_and_writes_nothing_half_way(
        live_server, key, database_proxy):
    # given a client with money
    wallet = wallet_with_card(balance="10.00", agency=key.agency)
    url = f"{live_server.url}/api/v1/usage"
    answers: dict[str, tuple[int, object, object]] = {}

    def burst():
        for number in range(60):
            event_key = f"db-{number}"
            answers[event_key] = http("POST", url, key=key.raw_key,
                                      body=usage_event(wallet.sub_account_id, event_key))

    # when the database is cut away after 15 answers and comes back 15 answers later, while
    # the burst goes on (requests in flight are cut in the middle)
    sender = threading.Thread(target=burst)
    sender.start()
    deadline = time.monotonic() + 120
    while len(answers) < 15 and time.monotonic() < deadline:
        time.sleep(0.005)
    database_proxy.cut()
    cut_at = len(answers)
    while len(answers) < cut_at + 15 and sender.is_alive():
        time.sleep(0.005)
    database_proxy.restore()
    sender.join(timeout=120)
    assert not sender.is_alive()

    # then every answer is a charge or a 503 with Retry-After, never a 500
    statuses = {status for status, _, _ in answers.values()}
    assert statuses <= {201, 503}, answers
    unavailable = [event_key for event_key, (status, _, _) in answers.items() if status == 503]
    assert len(unavailable) >= 10
    for event_key in unavailable:
        _, headers, body = answers[event_key]
        assert int(headers["Retry-After"]) > 0
        assert body["error"]["code"] == "service_unavailable"
    # and every charge answered 201 is in the ledger
    answered = {event_key for event_key, (status, _, _) in answers.items() if status == 201}
    charged = set(UsageCharge.objects.filter(sub_account_id=wallet.sub_account_id)
                  .values_list("idempotency_key", flat=True))
    assert answered <= charged
    # and nothing is half-written: every wallet's entries, balance and chain agree
    assert [check for check in ledger_verify() if not check.ok] == []

    # when the client retries each 503 with the same key
    for event_key in unavailable:
        status, _, body = http("POST", url, key=key.raw_key,
                               body=usage_event(wallet.sub_account_id, event_key))
        # (200: a commit the connection cut before its answer; the replay says so)
        assert status in (200, 201), body

    # then each of the 60 events is charged exactly once
    assert UsageCharge.objects.filter(sub_account_id=wallet.sub_account_id).count() == 60
    assert Entry.objects.filter(wallet=wallet, kind="usage").count() == 60
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("10.00") - 60 * Decimal("0.0079")
    assert [check for check in ledger_verify() if not check.ok] == []


def test_healthz_answers_503_while_the_database_is_away_and_200_after(
        live_server, database_proxy):
    database_proxy.cut()
    status, _, body = http("GET", f"{live_server.url}/healthz")
    assert status == 503
    assert body["status"] == "down"
    assert body["checks"]["database"] == "down"

    database_proxy.restore()
    status, _, body = http("GET", f"{live_server.url}/healthz")
    assert status == 200
    assert body["checks"]["database"] == "ok"


def test_a_page_answers_a_503_page_while_the_database_is_away(live_server, database_proxy):
    # a signed-in visitor's session is read from the database
    database_proxy.cut()
    status, headers, _ = http("GET", f"{live_server.url}/",
                              headers={"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"})
    assert status == 503
    assert int(headers["Retry-After"]) > 0
