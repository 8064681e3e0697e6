"""Agency.prices_version, raised by triggers on every write of the agency's prices or of the
base costs of its currency (the clients' overrides: subaccounts 0003)."""

from django.db import migrations, models

from hoopbilling.sql import PRICE_TABLES, prices_version_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0004_payments_stripe_connection'),
    ]

    operations = [
        migrations.AddField(
            model_name='agency',
            name='prices_version',
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        *(prices_version_trigger(*table) for table in PRICE_TABLES[:2]),
    ]
