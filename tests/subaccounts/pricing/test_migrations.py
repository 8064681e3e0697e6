"""The catalog as its data migration loaded it, and the move of the price tables from the
`agencies` app to this one (subaccounts 0004, wallets 0013, agencies 0007): state only, so
rows, content types and permissions stay as they were."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from subaccounts.pricing.models import AgencyPrice, BaseCost, BillableItem
from tests.factories import AgencyPriceFactory

pytestmark = pytest.mark.django_db

MOVED = ["billableitem", "basecost", "agencyprice"]
BEFORE_THE_MOVE = [("agencies", "0006_encrypt_stripe_restricted_key"),
                   ("subaccounts", "0003_priceoverride_prices_version"),
                   ("wallets", "0012_sqlite_entry_append_only_again")]


def test_catalog_holds_the_nine_items_with_base_costs():
    codes = set(BillableItem.objects.values_list("code", flat=True))
    assert codes == {"sms_outbound", "mms_outbound", "call_inbound", "call_outbound",
                     "email_send", "email_verification", "workflow_premium", "content_ai",
                     "review_request"}
    assert BillableItem.objects.get(code="email_send").price_per == 1000
    for code in codes:
        assert BaseCost.objects.filter(item_id=code, cost_currency="USD").exists()


def test_the_moved_models_keep_their_tables_and_are_the_subaccounts_apps():
    assert [model._meta.db_table for model in (BillableItem, BaseCost, AgencyPrice)] == [
        "agencies_billableitem", "agencies_basecost", "agencies_agencyprice"]
    for model in MOVED:
        assert ContentType.objects.filter(app_label="subaccounts", model=model).exists()
        assert not ContentType.objects.filter(app_label="agencies", model=model).exists()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def leaves():
    graph = MigrationExecutor(connection).loader.graph
    return [leaf for leaf in graph.leaf_nodes() if leaf[0] in ("agencies", "subaccounts",
                                                               "wallets")]


# Migrating back and forth inside the test's transaction needs transactional DDL with foreign
# keys on, which SQLite's schema editor refuses.
@pytest.mark.postgres
def test_the_move_renames_the_content_types_both_ways_and_keeps_rows_and_permissions():
    AgencyPriceFactory(item=BillableItem.objects.get(code="sms_outbound"))
    rows = [model.objects.count() for model in (BillableItem, BaseCost, AgencyPrice)]
    types = {model: ContentType.objects.get(app_label="subaccounts", model=model).pk
             for model in MOVED}
    permission = Permission.objects.get(codename="change_basecost")
    try:
        migrate(BEFORE_THE_MOVE)
        assert {ContentType.objects.get(pk=pk).app_label for pk in types.values()} == {
            "agencies"}
        migrate(leaves())
        for model, pk in types.items():
            assert ContentType.objects.get(pk=pk).app_label == "subaccounts", model
    finally:
        ContentType.objects.clear_cache()
    assert Permission.objects.get(pk=permission.pk).content_type_id == types["basecost"]
    assert [model.objects.count() for model in (BillableItem, BaseCost, AgencyPrice)] == rows
