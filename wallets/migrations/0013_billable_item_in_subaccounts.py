"""Usage charges, counters, daily roll-ups and invoice lines point at the catalog's new home
(subaccounts 0004): state only, the foreign keys keep their table and constraints."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("subaccounts", "0004_pricing_tables"),
        ("wallets", "0012_sqlite_entry_append_only_again"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="usagecharge",
                    name="item",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="subaccounts.billableitem"),
                ),
                migrations.AlterField(
                    model_name="usagecounter",
                    name="item",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="subaccounts.billableitem"),
                ),
                migrations.AlterField(
                    model_name="usagedaily",
                    name="item",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="subaccounts.billableitem"),
                ),
                migrations.AlterField(
                    model_name="invoiceline",
                    name="item",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="subaccounts.billableitem"),
                ),
            ],
        ),
    ]
