"""The catalog, base costs and agency prices move from the `agencies` app to this one
(`subaccounts.pricing.models`), keeping their tables: state only, no data is touched.

Here they are created in the state with their old tables, fields, constraints and index
names, and the client overrides' item points at the new BillableItem; wallets 0013 points the
usage and invoice rows at it, and agencies 0007 removes the old models from the state. The
content types are renamed (agencies -> subaccounts), so permissions and admin log entries
follow the models.
"""

import django.db.models.deletion
import djmoney.models.fields
from django.conf import settings
from django.db import IntegrityError, migrations, models, transaction

CURRENCIES = [("USD", "USD"), ("EUR", "EUR"), ("GBP", "GBP"), ("CAD", "CAD"), ("AUD", "AUD")]
MOVED = ["billableitem", "basecost", "agencyprice"]


def _content_types_relabel(apps, schema_editor, *, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        try:
            with transaction.atomic(using=db):
                ContentType.objects.using(db).filter(app_label=old, model=model).update(
                    app_label=new)
        except IntegrityError:
            # One is already there (created by an earlier run): the old one is stale, and
            # remove_stale_contenttypes deals with it.
            pass
    ContentType.objects.clear_cache()


def content_types_to_subaccounts(apps, schema_editor):
    _content_types_relabel(apps, schema_editor, old="agencies", new="subaccounts")


def content_types_to_agencies(apps, schema_editor):
    _content_types_relabel(apps, schema_editor, old="subaccounts", new="agencies")


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0006_encrypt_stripe_restricted_key"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("subaccounts", "0003_priceoverride_prices_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="BillableItem",
                    fields=[
                        ("code", models.CharField(max_length=40, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=100)),
                        ("unit", models.CharField(max_length=20)),
                        ("price_per", models.PositiveIntegerField(default=1)),
                        ("category", models.CharField(choices=[("messaging", "Messaging"), ("calling", "Calling"), ("email", "Email"), ("automation", "Automation"), ("ai", "Ai"), ("reviews", "Reviews")], max_length=20)),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "agencies_billableitem",
                        "ordering": ["position", "code"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("price_per__gte", 1)), name="item_price_per_positive")],
                    },
                ),
                migrations.CreateModel(
                    name="BaseCost",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("cost_currency", djmoney.models.fields.CurrencyField(choices=CURRENCIES, default="USD", editable=False, max_length=3)),
                        ("cost", djmoney.models.fields.MoneyField(currency_choices=CURRENCIES, decimal_places=6, max_digits=18)),
                        ("effective_from", models.DateTimeField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("item", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="base_costs", to="subaccounts.billableitem")),
                    ],
                    options={
                        "db_table": "agencies_basecost",
                        "ordering": ["item", "cost_currency", "-effective_from"],
                        "indexes": [models.Index(fields=["item", "cost_currency", "-effective_from"], name="agencies_ba_item_id_27e0a8_idx")],
                        "constraints": [models.UniqueConstraint(fields=("item", "cost_currency", "effective_from"), name="base_cost_unique_moment"), models.CheckConstraint(condition=models.Q(("cost__gte", 0)), name="base_cost_not_negative")],
                    },
                ),
                migrations.CreateModel(
                    name="AgencyPrice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("price_currency", djmoney.models.fields.CurrencyField(choices=CURRENCIES, default="USD", editable=False, max_length=3, null=True)),
                        ("price", djmoney.models.fields.MoneyField(blank=True, currency_choices=CURRENCIES, decimal_places=6, max_digits=18, null=True)),
                        ("tiers", models.JSONField(blank=True, null=True)),
                        ("subsidize", models.BooleanField(default=False)),
                        ("effective_from", models.DateTimeField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("agency", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="prices", to="agencies.agency")),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("item", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="subaccounts.billableitem")),
                    ],
                    options={
                        "db_table": "agencies_agencyprice",
                        "ordering": ["agency", "item", "-effective_from"],
                        "indexes": [models.Index(fields=["agency", "item", "-effective_from"], name="agencies_ag_agency__a58d74_idx")],
                        "constraints": [models.CheckConstraint(condition=models.Q(models.Q(("price__isnull", False), ("tiers__isnull", True)), models.Q(("price__isnull", True), ("tiers__isnull", False)), _connector="OR"), name="agency_price_flat_xor_tiers"), models.CheckConstraint(condition=models.Q(("price__isnull", True), ("price__gte", 0), _connector="OR"), name="agency_price_not_negative")],
                    },
                ),
                migrations.AlterField(
                    model_name="priceoverride",
                    name="item",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="subaccounts.billableitem"),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_subaccounts, content_types_to_agencies),
    ]
