"""The columns that add events up (a client's period counter, the daily roll-ups, invoice
lines and totals, agency statements) widened to NUMERIC(30, …) and bigint counts, so no
number of events within the input bounds can overflow them (the arithmetic is in
hoopbilling/money.py). SQLite rebuilds an altered table and drops its triggers: the
append-only triggers of the invoice tables are put back."""

from django.db import migrations, models

from hoopbilling.sql import sqlite_append_only_again


class Migration(migrations.Migration):

    dependencies = [
        ('wallets', '0015_wallet_settings_history'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agencystatement',
            name='base_cost_absorbed',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        migrations.AlterField(
            model_name='agencystatement',
            name='base_cost_rebilled',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        migrations.AlterField(
            model_name='agencystatement',
            name='revenue',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='other_total',
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='topups_total',
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='usage_total',
            field=models.DecimalField(decimal_places=2, max_digits=30),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='amount',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='charges',
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='quantity',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        migrations.AlterField(
            model_name='usagecounter',
            name='quantity',
            field=models.DecimalField(decimal_places=6, default=0, max_digits=30),
        ),
        migrations.AlterField(
            model_name='usagedaily',
            name='amount',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        migrations.AlterField(
            model_name='usagedaily',
            name='base_cost',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        migrations.AlterField(
            model_name='usagedaily',
            name='count',
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AlterField(
            model_name='usagedaily',
            name='quantity',
            field=models.DecimalField(decimal_places=6, max_digits=30),
        ),
        sqlite_append_only_again("wallets_invoice"),
        sqlite_append_only_again("wallets_invoiceline"),
        sqlite_append_only_again("wallets_agencystatement"),
    ]
