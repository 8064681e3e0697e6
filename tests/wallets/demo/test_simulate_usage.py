"""simulate_usage: realistic events over HTTP to the usage API of a live server."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from agencies.models import ApiKey
from agencies.services import agency_create, agency_update
from subaccounts.services import subaccount_create, subaccount_suspend
from wallets.demo.seed import DEMO_AGENCY
from wallets.usage.models import UsageCharge


@pytest.mark.postgres  # flushing the ledger afterwards needs TRUNCATE (see test_journeys.py)
@pytest.mark.django_db(transaction=True)
def test_simulate_usage_charges_a_mix_of_events_through_the_api(live_server):
    # given: the demo agency with two clients, one of them suspended
    agency, _ = agency_create(name=DEMO_AGENCY, admin_email="a@northwind.test")
    # room below zero: the clients have no funds, and this is about the traffic, not the limit
    agency_update(agency=agency, changes={"credit_limit": "100"})
    subaccount_create(agency=agency, name="Bluebird Dental", external_id="loc_bluebird")
    suspended = subaccount_create(agency=agency, name="Summit Auto Repair",
                                  external_id="loc_summit")
    subaccount_suspend(sub_account=suspended, reason="payment_failed",
                       note="Card payments failed after every retry.")

    # when
    out = io.StringIO()
    call_command("simulate_usage", "--url", live_server.url, "--count", "40", "--rate", "100",
                 "--seed", "7", stdout=out)

    # then: every event answered; what was charged is in the database
    summary = out.getvalue()
    sent, charged = map(int, re.search(r"Sent (\d+) events: (\d+) charged", summary).groups())
    refused = re.search(r"(\d+) sub_account_suspended", summary)
    assert sent == 40
    assert charged + (int(refused.group(1)) if refused else 0) == 40
    assert "failed" not in summary
    charges = UsageCharge.objects.filter(agency=agency)
    assert charges.count() == charged
    assert charges.values("item").distinct().count() >= 4
    # messaging and calling of the suspended client were refused, never charged
    assert not charges.filter(sub_account=suspended,
                              item__category__in=["messaging", "calling"]).exists()
    # the key it issued for itself is revoked
    assert ApiKey.objects.get(agency=agency, name="simulate_usage").revoked_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(("arguments", "message"), [
    (["--url", "http://example.com"], "not this machine"),
    (["--count", "5", "--duration", "5"], "not both"),
    (["--rate", "1000"], "--rate is between"),
    (["--count", "0"], "--count is between"),
    (["--url", "ftp://127.0.0.1"], "not an http"),
])
def test_simulate_usage_refuses_unbounded_or_remote_runs(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate_usage", *arguments, stdout=io.StringIO())
