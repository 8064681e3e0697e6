"""Every write of a client's price override raises its agency's prices_version."""

from django.db import migrations

from hoopbilling.sql import prices_version_trigger


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0005_agency_prices_version"),
        ("subaccounts", "0002_payments_card"),
    ]

    operations = [
        prices_version_trigger(
            "subaccounts_priceoverride",
            "id = (SELECT agency_id FROM subaccounts_subaccount WHERE id = {row}.sub_account_id)"),
    ]
