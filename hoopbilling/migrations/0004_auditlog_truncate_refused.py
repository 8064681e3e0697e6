from django.db import migrations

from hoopbilling.sql import truncate_refused


class Migration(migrations.Migration):
    dependencies = [("hoopbilling", "0003_hardening_failed_login")]

    operations = [truncate_refused("hoopbilling_auditlog")]
