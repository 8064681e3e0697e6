from django.db import migrations

from hoopbilling.sql import append_only


class Migration(migrations.Migration):
    dependencies = [("hoopbilling", "0001_initial")]

    operations = [append_only("hoopbilling_auditlog")]
