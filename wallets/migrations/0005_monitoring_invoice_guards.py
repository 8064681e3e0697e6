"""Issued invoices, their lines and agency statements are immutable: the database refuses
UPDATE and DELETE (a correction is a credit note or the next period's invoice)."""

from django.db import migrations

from hoopbilling.sql import append_only


class Migration(migrations.Migration):
    dependencies = [("wallets", "0004_monitoring_invoices")]

    operations = [
        append_only("wallets_invoice"),
        append_only("wallets_invoiceline"),
        append_only("wallets_agencystatement"),
    ]
