from django.db import migrations

from agencies.catalog import catalog_load


def load_catalog(apps, schema_editor):
    catalog_load(apps.get_model("agencies", "BillableItem"), apps.get_model("agencies", "BaseCost"))


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
