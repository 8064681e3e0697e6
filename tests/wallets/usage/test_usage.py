"""usage_record and usage_quote: pricing, tiers, debit or absorb, idempotency."""

from decimal import Decimal

import pytest
from moneyed import Money

from hoopbilling.errors import IdempotencyConflict, InvalidInput, NotFound
from tests.factories import (
    AgencyFactory,
    AgencyPriceFactory,
    BillableItemFactory,
    PriceOverrideFactory,
    SubAccountFactory,
)
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry
from wallets.ledger.signals import wallet_debited
from wallets.usage.charging import usage_quote
from wallets.usage.events import SubAccountSuspended
from wallets.usage.models import UsageCharge, UsageCounter
from wallets.usage.services import usage_record, usage_record_batch
from wallets.usage.signals import usage_recorded

pytestmark = pytest.mark.django_db

TIERS = [{"up_to": "10", "price": "0.90"}, {"up_to": None, "price": "0.70"}]


@pytest.fixture
def client_account():
    return SubAccountFactory(agency=AgencyFactory(open_credit=True))


def event(sub_account, key="k1", **kwargs):
    body = {"sub_account": str(sub_account.pk), "item": "sms_outbound", "idempotency_key": key}
    body.update(kwargs or {"quantity": "1"})
    return body


def test_rebilled_usage_debits_the_wallet_at_the_agency_price(client_account):
    # given an agency price of 0.015 per segment
    AgencyPriceFactory(agency=client_account.agency)
    # when a 2-segment GSM message is recorded
    result = usage_record(agency=client_account.agency,
                          event=event(client_account, message_body="x" * 200))
    # then the wallet pays 2 × 0.015 and the charge explains itself
    charge = result.charge
    assert charge.amount == Money("0.030000", "USD")
    assert charge.billed_to == "wallet"
    assert charge.price_source == "agency"
    assert charge.details == {"encoding": "GSM-7", "segments": 2, "characters": 200,
                              "units": 200}
    assert charge.base_cost_amount.amount == Decimal("0.015800")
    assert result.wallet_balance == Decimal("-0.030000")
    entry = Entry.objects.get(wallet__sub_account=client_account)
    assert entry.kind == "usage" and entry.amount.amount == Decimal("-0.030000")
    assert entry.reference_id == str(charge.id)
    assert [check for check in ledger_verify() if not check.ok] == []


def test_base_cost_is_charged_when_the_agency_sets_no_price(client_account):
    result = usage_record(agency=client_account.agency, event=event(client_account,
                                                                    quantity="3"))
    assert result.charge.price_source == "base_cost"
    assert result.charge.amount.amount == Decimal("0.023700")


def test_override_wins_over_the_agency_price(client_account):
    AgencyPriceFactory(agency=client_account.agency)
    PriceOverrideFactory(sub_account=client_account)
    result = usage_record(agency=client_account.agency, event=event(client_account))
    assert result.charge.price_source == "override"
    assert result.charge.unit_price.amount == Decimal("0.02")


def test_email_is_priced_per_thousand(client_account):
    result = usage_record(agency=client_account.agency, event=event(
        client_account, item="email_send", quantity="1500"))
    assert result.charge.amount.amount == Decimal("1.012500")  # 1500 × 0.675 / 1000


def test_absorbed_usage_is_billed_to_the_agency_and_debits_no_wallet(client_account):
    client_account.rebilling_enabled = False
    client_account.save()
    result = usage_record(agency=client_account.agency, event=event(client_account))
    assert result.charge.billed_to == "agency"
    assert result.charge.entry is None
    assert result.charge.base_cost_amount.amount == Decimal("0.007900")
    assert not Entry.objects.exists()
    assert result.wallet_balance == 0


def test_agency_switch_off_absorbs_too(client_account):
    agency = client_account.agency
    agency.rebilling_enabled = False
    agency.save()
    result = usage_record(agency=agency, event=event(client_account))
    assert result.charge.billed_to == "agency"


def test_event_crossing_a_tier_boundary_is_split(client_account):
    AgencyPriceFactory(agency=client_account.agency, price=None, tiers=TIERS)
    agency = client_account.agency
    first = usage_record(agency=agency, event=event(client_account, "a", quantity="8"))
    second = usage_record(agency=agency, event=event(client_account, "b", quantity="5"))
    assert first.charge.amount.amount == Decimal("7.200000")
    assert second.charge.tier_breakdown == [
        {"up_to": "10", "price": "0.90", "quantity": "2", "amount": "1.800000"},
        {"up_to": None, "price": "0.70", "quantity": "3", "amount": "2.100000"},
    ]
    assert second.charge.amount.amount == Decimal("3.900000")
    assert second.charge.unit_price is None
    counter = UsageCounter.objects.get(sub_account=client_account, item="sms_outbound")
    assert counter.quantity == 13


def test_a_split_charge_is_rounded_once_and_its_rows_add_up(client_account):
    # 1 email at 0.0015 per 1,000 is 0.0000015 in each tier: rounding each row would charge
    # 0.000004 for what is 0.000003 exactly
    AgencyPriceFactory(agency=client_account.agency, item_id="email_send", price=None, tiers=[
        {"up_to": "1", "price": "0.0015"}, {"up_to": None, "price": "0.0015"}])
    result = usage_record(agency=client_account.agency, event=event(
        client_account, item="email_send", quantity="2"))
    assert result.charge.amount.amount == Decimal("0.000003")
    assert [row["amount"] for row in result.charge.tier_breakdown] == ["0.000002", "0.000001"]


def test_tiers_in_one_batch_follow_the_running_count(client_account):
    AgencyPriceFactory(agency=client_account.agency, price=None, tiers=TIERS)
    results = usage_record_batch(agency=client_account.agency, events=[
        event(client_account, f"k{n}", quantity="4") for n in range(4)])
    assert [r.charge.amount.amount for r in results] == [
        Decimal("3.6"), Decimal("3.6"), Decimal("3.2"), Decimal("2.8")]


def test_free_tier_records_a_zero_charge_without_a_ledger_entry(client_account):
    AgencyPriceFactory(agency=client_account.agency, price=None, subsidize=True, tiers=[
        {"up_to": "100", "price": "0"}, {"up_to": None, "price": "0.01"}])
    result = usage_record(agency=client_account.agency, event=event(client_account,
                                                                    quantity="5"))
    assert result.charge.amount.amount == 0
    assert result.charge.billed_to == "wallet" and result.charge.entry is None
    assert not Entry.objects.exists()


def test_calls_round_up_per_call_and_zero_seconds_is_free(client_account):
    agency = client_account.agency
    call = usage_record(agency=agency, event=event(client_account, "c1", item="call_outbound",
                                                   duration_seconds=61))
    assert call.charge.quantity == 2
    assert call.charge.details == {"duration_seconds": 61, "minutes": 2}
    missed = usage_record(agency=agency, event=event(client_account, "c2", item="call_outbound",
                                                     duration_seconds=0))
    assert missed.charge.amount.amount == 0


def test_content_ai_counts_words(client_account):
    result = usage_record(agency=client_account.agency, event=event(
        client_account, item="content_ai", text="one two three four"))
    assert result.charge.quantity == 4
    assert result.charge.details == {"words": 4}


def test_replay_returns_the_first_charge_and_charges_nothing(client_account):
    agency = client_account.agency
    first = usage_record(agency=agency, event=event(client_account))
    again = usage_record(agency=agency, event=event(client_account, quantity="1.0"))
    assert again.replayed and again.charge.pk == first.charge.pk
    assert again.wallet_balance == first.wallet_balance
    assert UsageCharge.objects.count() == 1 and Entry.objects.count() == 1


def test_same_key_with_another_event_is_a_conflict(client_account):
    agency = client_account.agency
    usage_record(agency=agency, event=event(client_account))
    with pytest.raises(IdempotencyConflict):
        usage_record(agency=agency, event=event(client_account, quantity="2"))
    other = SubAccountFactory(agency=agency)
    with pytest.raises(IdempotencyConflict):
        usage_record(agency=agency, event=event(other))
    assert UsageCharge.objects.count() == 1


def test_keys_are_scoped_to_the_agency(client_account):
    other = SubAccountFactory(agency=AgencyFactory())
    usage_record(agency=client_account.agency, event=event(client_account))
    result = usage_record(agency=other.agency, event=event(other))
    assert not result.replayed


def test_suspended_client_messaging_is_refused_and_nothing_recorded(client_account):
    from django.utils import timezone
    client_account.suspended_at = timezone.now()
    client_account.suspension_reason = "payment_failed"
    client_account.suspension_note = "Top-up failed"
    client_account.save()
    with pytest.raises(SubAccountSuspended):
        usage_record(agency=client_account.agency, event=event(client_account))
    # email is not blocked by default
    usage_record(agency=client_account.agency, event=event(client_account, "e",
                                                           item="email_send", quantity="1"))
    assert UsageCharge.objects.count() == 1


def test_another_agencys_sub_account_is_not_found(client_account):
    stranger = SubAccountFactory(agency=AgencyFactory())
    with pytest.raises(NotFound):
        usage_record(agency=client_account.agency, event=event(stranger))


def test_batch_partial_failure_keeps_the_good_events(client_account):
    events = [event(client_account, f"k{n}") for n in range(5)]
    events[2]["quantity"] = "-1"
    events.append(event(client_account, "k0"))  # duplicate in the batch: a replay
    results = usage_record_batch(agency=client_account.agency, events=events)
    assert isinstance(results[2], InvalidInput) and results[2].field == "quantity"
    assert [r.replayed for i, r in enumerate(results) if i != 2] == [False] * 4 + [True]
    assert results[5].charge.pk == results[0].charge.pk
    assert UsageCharge.objects.count() == 4 and Entry.objects.count() == 4
    assert [check for check in ledger_verify() if not check.ok] == []


def test_signals_fire_with_the_charges_and_the_balance(client_account):
    seen = {}
    usage_recorded.connect(lambda sender, charges, **kw: seen.setdefault("charges", charges),
                           weak=False, dispatch_uid="t1")
    wallet_debited.connect(lambda sender, wallet_id, balance, **kw: seen.setdefault(
        "balance", balance), weak=False, dispatch_uid="t2")
    try:
        from django.test import TestCase
        with TestCase.captureOnCommitCallbacks(execute=True):
            usage_record(agency=client_account.agency, event=event(client_account))
    finally:
        usage_recorded.disconnect(dispatch_uid="t1")
        wallet_debited.disconnect(dispatch_uid="t2")
    assert len(seen["charges"]) == 1
    assert seen["balance"] == Decimal("-0.007900")


def test_quote_records_nothing_and_counts_the_period_so_far(client_account):
    AgencyPriceFactory(agency=client_account.agency, price=None, tiers=TIERS)
    usage_record(agency=client_account.agency, event=event(client_account, quantity="9"))
    quote = usage_quote(agency=client_account.agency, event={
        "sub_account": str(client_account.pk), "item": "sms_outbound", "quantity": "2"})
    assert quote.amount == Decimal("1.600000")
    assert UsageCharge.objects.count() == 1


def test_item_factory_catalog_is_intact():
    assert BillableItemFactory(code="email_send").price_per == 1000


def test_a_batch_costs_the_same_statements_however_many_events_and_wallets(
        client_account, django_assert_num_queries):
    """The hot path's round trips, counted: one batch of events to two clients (one rebilled,
    one absorbed) once the catalog is read, and the same batch again (all replays)."""
    absorbed = SubAccountFactory(agency=client_account.agency, rebilling_enabled=False)
    agency = client_account.agency
    usage_record(agency=agency, event=event(client_account, "warm-up"))
    events = [event(account, f"{account.pk}-{n}") for account in (client_account, absorbed)
              for n in range(3)]
    with django_assert_num_queries(11):
        # the clients and their wallets, the price book; savepoint (the test's transaction),
        # wallet locks, the clients' suspensions again (under the locks), counters, entries,
        # wallet heads, charges, roll-ups, release
        usage_record_batch(agency=agency, events=events)
    with django_assert_num_queries(13):
        # the first try takes the keys to be new and fails its insert; the second looks them up
        # (and, every key a replay, reads no suspension)
        replays = usage_record_batch(agency=agency, events=events)
    assert all(result.replayed for result in replays)
