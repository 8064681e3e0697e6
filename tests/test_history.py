"""The database history (`hoopbilling.history`): PostgreSQL's triggers record every write to
the price and settings tables, whoever makes it (a service, the admin, raw SQL), with the
person and URL of a page or admin request; the ledger and the usage hot path write none."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from pghistory.core import event_models
from pghistory.models import MiddlewareEvents

from agencies.models import Agency
from agencies.payment_settings import agency_stripe_connect
from subaccounts.models import SubAccount
from subaccounts.pricing.models import AgencyPrice, BaseCost, BillableItem, PriceOverride
from subaccounts.pricing.services import price_set
from tests.factories import AgencyFactory, EntryFactory, SubAccountFactory
from wallets.ledger.models import Wallet
from wallets.payments.autotopup import wallet_settings_set
from wallets.usage.models import UsageCharge
from wallets.usage.services import usage_record

# Every test but the last needs PostgreSQL: SQLite records no history.
pytestmark = pytest.mark.django_db

# The event models pghistory made for them (`<Model>Event`, in each model's app).
AgencyEvent = Agency.pgh_event_model
SubAccountEvent = SubAccount.pgh_event_model
AgencyPriceEvent = AgencyPrice.pgh_event_model
PriceOverrideEvent = PriceOverride.pgh_event_model
BaseCostEvent = BaseCost.pgh_event_model
WalletSettingsEvent = Wallet.pgh_event_model

# The tables whose own guards refuse changes, or that only the ledger and usage services
# write on every event: none carries a history trigger.
UNTRACKED = ["wallets_entry", "wallets_usagecharge", "wallets_usagecounter", "wallets_usagedaily",
             "wallets_invoice", "wallets_invoiceline", "wallets_agencystatement",
             "wallets_topup", "wallets_topupattempt", "hoopbilling_auditlog"]
TRACKED = ["agencies_billableitem", "agencies_basecost", "agencies_agencyprice",
           "subaccounts_priceoverride", "agencies_agency", "subaccounts_subaccount",
           "wallets_wallet"]


@pytest.fixture
def sms():
    return BillableItem.objects.get(code="sms_outbound")


def history_triggers(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                       "AND NOT tgisinternal AND tgname LIKE 'pgtrigger%%'", [table])
        return {name for (name,) in cursor.fetchall()}


def history_rows() -> int:
    return sum(model.objects.count() for model in event_models())


def events_of(obj):
    """The object's events as the admin shows them: label, diff {field: [old, new]} and
    context, oldest first."""
    return list(MiddlewareEvents.objects.tracks(obj).order_by("pgh_id"))


@pytest.mark.postgres
def test_a_raw_sql_update_of_an_agency_price_is_recorded_with_old_and_new_values(sms):
    agency = AgencyFactory()
    price = price_set(agency=agency, item=sms, price="0.0150")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE agencies_agencyprice SET price = 0.0250, subsidize = true "
                       "WHERE id = %s", [price.pk])
    insert, update = events_of(price)
    assert (insert.pgh_label, update.pgh_label) == ("insert", "update")
    assert update.pgh_diff == {"price": [0.015, 0.025], "subsidize": [False, True]}
    # nobody is named: the write came from no page
    assert update.pgh_context is None and update.user is None
    row = AgencyPriceEvent.objects.get(pgh_obj=price, pgh_label="update")
    assert row.price.amount == Decimal("0.025") and row.agency == agency


@pytest.mark.postgres
def test_a_raw_sql_delete_keeps_the_last_values(sms):
    override = price_set(sub_account=SubAccountFactory(), item=sms, price="0.0300")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM subaccounts_priceoverride WHERE id = %s", [override.pk])
    deleted = PriceOverrideEvent.objects.get(pgh_obj_id=override.pk, pgh_label="delete")
    assert deleted.price.amount == Decimal("0.03") and deleted.sub_account == override.sub_account


@pytest.mark.postgres
def test_an_operator_scheduling_a_base_cost_in_the_admin_is_recorded_with_the_operator(
        ops, operator):
    starts = timezone.now() + timedelta(days=10)
    url = reverse("admin:subaccounts_basecost_add")
    response = ops.post(url, {
        "item": "sms_outbound", "currency": "USD", "amount": "0.0091",
        "effective_from_0": f"{starts:%Y-%m-%d}", "effective_from_1": f"{starts:%H:%M:%S}"})
    assert response.status_code == 302
    row = BaseCost.objects.get(item_id="sms_outbound", cost_currency="USD",
                               effective_from__gt=timezone.now())
    [event] = events_of(row)
    assert event.pgh_label == "insert" and event.pgh_data["cost"] == 0.0091
    assert event.user == operator and event.url == url
    assert BaseCostEvent.objects.get(pgh_obj=row).pgh_context.metadata == {
        "user": operator.pk, "url": url}
    # the operators' history page lists it, with who and where
    page = ops.get(reverse("admin:pghistory_middlewareevents_changelist"),
                   {"obj": f"subaccounts.BaseCost:{row.pk}", "method": "tracks"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "ops@platform.test" in content and url in content


@pytest.mark.postgres
def test_price_set_writes_one_history_row_and_no_agency_row(sms):
    agency = AgencyFactory()
    sub_account = SubAccountFactory(agency=agency)
    agency_events, before = AgencyEvent.objects.count(), history_rows()
    price = price_set(agency=agency, item=sms, price="0.0150")
    override = price_set(sub_account=sub_account, item=sms, price="0.0300")
    assert [e.pgh_label for e in AgencyPriceEvent.objects.filter(pgh_obj=price)] == ["insert"]
    assert [e.pgh_label for e in PriceOverrideEvent.objects.filter(pgh_obj=override)] == [
        "insert"]
    # the price triggers raise the agency's prices_version: not a settings change
    assert AgencyEvent.objects.count() == agency_events
    assert history_rows() == before + 2


@pytest.mark.postgres
def test_a_price_set_through_the_api_is_recorded_with_no_person(api):
    response = api.put("/api/v1/prices/sms_outbound", {"price": "0.0150"}, format="json")
    assert response.status_code == 200
    price = AgencyPrice.objects.get(agency=api.agency, item_id="sms_outbound")
    [event] = events_of(price)
    assert event.pgh_label == "insert" and event.pgh_context is None


@pytest.mark.postgres
def test_posting_usage_writes_no_history_row(sms):
    sub_account = SubAccountFactory()
    wallet = Wallet.objects.get(sub_account=sub_account)
    wallet_settings_set(wallet=wallet, enabled=True, threshold=Decimal("5"),
                        amount=Decimal("20"), max_balance=None)
    EntryFactory(wallet=wallet, amount=Decimal("10.00"))
    price_set(agency=sub_account.agency, item=sms, price="0.0150")
    before = history_rows()
    for key in ("u1", "u2", "u3"):
        usage_record(agency=sub_account.agency, event={
            "sub_account": str(sub_account.pk), "item": "sms_outbound", "quantity": "2",
            "idempotency_key": key})
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("9.91")
    assert UsageCharge.objects.filter(sub_account=sub_account).count() == 3
    assert history_rows() == before


@pytest.mark.postgres
def test_wallet_settings_are_recorded_but_not_its_balance():
    wallet = Wallet.objects.get(sub_account=SubAccountFactory())
    wallet_settings_set(wallet=wallet, enabled=True, threshold=Decimal("5"),
                        amount=Decimal("20"), max_balance=Decimal("100"))
    EntryFactory(wallet=wallet, amount=Decimal("10.00"))
    EntryFactory(wallet=wallet, amount=Decimal("-2.00"))
    insert, update = WalletSettingsEvent.objects.filter(pgh_obj=wallet).order_by("pgh_id")
    assert (insert.pgh_label, update.pgh_label) == ("insert", "update")
    assert update.auto_topup_enabled and update.auto_topup_threshold.amount == Decimal("5")
    assert not hasattr(update, "balance")


@pytest.mark.postgres
def test_the_ledger_tables_have_no_history_triggers():
    for table in UNTRACKED:
        assert history_triggers(table) == set(), table
    for table in TRACKED:
        assert len(history_triggers(table)) >= 3, table


@pytest.mark.postgres
def test_the_history_cannot_be_edited_or_deleted(sms):
    price = price_set(agency=AgencyFactory(), item=sms, price="0.0150")
    event = AgencyPriceEvent.objects.get(pgh_obj=price)
    for sql in ("UPDATE subaccounts_agencypriceevent SET pgh_label = 'x' WHERE pgh_id = %s",
                "DELETE FROM subaccounts_agencypriceevent WHERE pgh_id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AgencyPriceEvent.objects.filter(pk=event.pk, pgh_label="insert").exists()


@pytest.mark.postgres
def test_a_shell_change_of_a_client_setting_is_recorded_without_context():
    sub_account = SubAccountFactory()
    SubAccount.objects.filter(pk=sub_account.pk).update(rebilling_enabled=False)
    event = SubAccountEvent.objects.filter(pgh_obj=sub_account).latest("pgh_id")
    assert event.pgh_label == "update" and event.rebilling_enabled is False
    assert event.pgh_context is None


@pytest.mark.postgres
def test_a_new_stripe_key_is_an_event_without_the_key():
    agency = AgencyFactory()
    agency_stripe_connect(agency=agency, restricted_key="rk_test_" + "a" * 24)
    event = AgencyEvent.objects.filter(pgh_obj=agency).latest("pgh_id")
    assert event.pgh_label == "stripe_key.update"
    assert not hasattr(event, "stripe_restricted_key") and not hasattr(event, "prices_version")
    Agency.objects.filter(pk=agency.pk).update(prices_version=99)
    assert AgencyEvent.objects.filter(pgh_obj=agency).latest("pgh_id").pk == event.pk


@pytest.mark.postgres
def test_every_catalog_cost_has_history_from_before_tracking_began():
    # the migration gave the rows it found a baseline; a flushed test database reloads the
    # catalog, which inserts them again
    for cost in BaseCost.objects.all():
        assert BaseCostEvent.objects.filter(pgh_obj=cost,
                                            pgh_label__in=["baseline", "insert"]).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_leaves_no_context_behind_on_its_connection(ops, operator):
    agency = AgencyFactory()
    response = ops.post(reverse("admin:agencies_agency_change", args=[agency.pk]), {})
    assert response.status_code in (200, 302)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pghistory.context_id', true)")
        assert cursor.fetchone()[0] in ("", None)
    Agency.objects.filter(pk=agency.pk).update(rebilling_enabled=False)
    event = AgencyEvent.objects.filter(pgh_obj=agency).latest("pgh_id")
    assert not event.rebilling_enabled and event.pgh_context is None


def test_the_history_page_opens_for_an_operator_on_any_database(ops):
    SubAccountFactory()
    page = ops.get(reverse("admin:pghistory_middlewareevents_changelist"))
    assert page.status_code == 200
    if connection.vendor == "postgresql":
        assert "subaccounts.SubAccount" in page.content.decode()
    else:
        assert "recorded on PostgreSQL only" in page.content.decode()
