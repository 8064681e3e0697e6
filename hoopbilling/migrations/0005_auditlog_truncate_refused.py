from django.db import migrations

from hoopbilling.sql import truncate_refused


class Migration(migrations.Migration):
    dependencies = [("hoopbilling", "0004_outgoing_email")]

    operations = [truncate_refused("hoopbilling_auditlog")]
