"""The catalog, base costs and agency prices now belong to the `subaccounts` app (subaccounts
0004, wallets 0013 point everything at them there): they leave this app's state. State only:
their tables stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0006_encrypt_stripe_restricted_key"),
        ("subaccounts", "0004_pricing_tables"),
        ("wallets", "0013_billable_item_in_subaccounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="AgencyPrice"),
                migrations.DeleteModel(name="BaseCost"),
                migrations.DeleteModel(name="BillableItem"),
            ],
        ),
    ]
