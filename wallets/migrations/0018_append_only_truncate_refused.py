"""The append-only tables refuse TRUNCATE too (their UPDATE and DELETE triggers never see
one): the ledger, its checkpoints, issued invoices, their lines and agency statements."""

from django.db import migrations

from hoopbilling.sql import truncate_refused

TABLES = ["wallets_entry", "wallets_ledgercheckpoint", "wallets_invoice", "wallets_invoiceline",
          "wallets_agencystatement"]


class Migration(migrations.Migration):
    dependencies = [("wallets", "0017_ledger_keyed_chain")]

    operations = [truncate_refused(table) for table in TABLES]
