"""Every write of a client's price override raises its agency's prices_version."""

from django.db import migrations

from hoopbilling.sql import PRICE_TABLES, prices_version_trigger


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0005_agency_prices_version"),
        ("subaccounts", "0002_payments_card"),
    ]

    operations = [
        prices_version_trigger(*PRICE_TABLES[2]),
    ]
