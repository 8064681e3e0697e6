"""The database history of the catalog, base costs, agency prices, client overrides and
clients' settings (`hoopbilling.history`): a `<Model>Event` table each and the
django-pgtrigger triggers that fill it on every insert, update and delete, installed on
PostgreSQL only; the rows already there get a baseline."""

import uuid

import django.db.models.deletion
import djmoney.models.fields
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

from hoopbilling.history import history_baseline


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0008_agency_history'),
        ('pghistory', '0007_auto_20250421_0444'),
        ('subaccounts', '0004_pricing_tables'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AgencyPriceEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('price_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='USD', editable=False, max_length=3, null=True)),
                ('price', djmoney.models.fields.MoneyField(blank=True, currency_choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=6, max_digits=18, null=True)),
                ('tiers', models.JSONField(blank=True, null=True)),
                ('subsidize', models.BooleanField(default=False)),
                ('effective_from', models.DateTimeField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='BaseCostEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('cost_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='USD', editable=False, max_length=3)),
                ('cost', djmoney.models.fields.MoneyField(currency_choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=6, max_digits=18)),
                ('effective_from', models.DateTimeField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='BillableItemEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('code', models.CharField(max_length=40, serialize=False)),
                ('name', models.CharField(max_length=100)),
                ('unit', models.CharField(max_length=20)),
                ('price_per', models.PositiveIntegerField(default=1)),
                ('category', models.CharField(choices=[('messaging', 'Messaging'), ('calling', 'Calling'), ('email', 'Email'), ('automation', 'Automation'), ('ai', 'Ai'), ('reviews', 'Reviews')], max_length=20)),
                ('position', models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PriceOverrideEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('price_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='USD', editable=False, max_length=3, null=True)),
                ('price', djmoney.models.fields.MoneyField(blank=True, currency_choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=6, max_digits=18, null=True)),
                ('tiers', models.JSONField(blank=True, null=True)),
                ('subsidize', models.BooleanField(default=False)),
                ('effective_from', models.DateTimeField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('cleared', models.BooleanField(default=False)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='SubAccountEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, serialize=False)),
                ('name', models.CharField(max_length=200)),
                ('external_id', models.CharField(blank=True, max_length=255, null=True)),
                ('rebilling_enabled', models.BooleanField(default=True)),
                ('itemised_usage_visible', models.BooleanField(default=True, help_text="Whether the client's own users may see line-by-line usage.")),
                ('suspended_at', models.DateTimeField(blank=True, null=True)),
                ('suspension_reason', models.CharField(blank=True, max_length=255)),
                ('payment_gateway', models.CharField(blank=True, max_length=10)),
                ('payment_customer_id', models.CharField(blank=True, max_length=255)),
                ('payment_method_id', models.CharField(blank=True, max_length=255)),
                ('card_brand', models.CharField(blank=True, max_length=20)),
                ('card_last4', models.CharField(blank=True, max_length=4)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agencyprice',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_agencypriceevent" ("agency_id", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "price", "price_currency", "subsidize", "tiers") VALUES (NEW."agency_id", NEW."created_at", NEW."created_by_id", NEW."effective_from", NEW."id", NEW."item_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."price", NEW."price_currency", NEW."subsidize", NEW."tiers"); RETURN NULL;', hash='4bd0966175fea65049c779d46e11e0374c960417', operation='INSERT', pgid='pgtrigger_insert_insert_5fdf3', table='agencies_agencyprice', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agencyprice',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "subaccounts_agencypriceevent" ("agency_id", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "price", "price_currency", "subsidize", "tiers") VALUES (NEW."agency_id", NEW."created_at", NEW."created_by_id", NEW."effective_from", NEW."id", NEW."item_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."price", NEW."price_currency", NEW."subsidize", NEW."tiers"); RETURN NULL;', hash='923e0eb3014798a2d5780b0e99c5155988052543', operation='UPDATE', pgid='pgtrigger_update_update_82679', table='agencies_agencyprice', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agencyprice',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_agencypriceevent" ("agency_id", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "price", "price_currency", "subsidize", "tiers") VALUES (OLD."agency_id", OLD."created_at", OLD."created_by_id", OLD."effective_from", OLD."id", OLD."item_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."price", OLD."price_currency", OLD."subsidize", OLD."tiers"); RETURN NULL;', hash='96713c0952b53fe6e74679349ae5b450f86f5dbf', operation='DELETE', pgid='pgtrigger_delete_delete_459a8', table='agencies_agencyprice', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='basecost',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_basecostevent" ("cost", "cost_currency", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."cost", NEW."cost_currency", NEW."created_at", NEW."created_by_id", NEW."effective_from", NEW."id", NEW."item_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id"); RETURN NULL;', hash='c45f261ff6efdcb98c29a1e744a0932f301ec842', operation='INSERT', pgid='pgtrigger_insert_insert_e5790', table='agencies_basecost', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='basecost',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "subaccounts_basecostevent" ("cost", "cost_currency", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."cost", NEW."cost_currency", NEW."created_at", NEW."created_by_id", NEW."effective_from", NEW."id", NEW."item_id", _pgh_attach_context(), NOW(), \'update\', NEW."id"); RETURN NULL;', hash='2c040534adb468a3caf1b5f1a29a08448e4439a1', operation='UPDATE', pgid='pgtrigger_update_update_bf0cd', table='agencies_basecost', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='basecost',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_basecostevent" ("cost", "cost_currency", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (OLD."cost", OLD."cost_currency", OLD."created_at", OLD."created_by_id", OLD."effective_from", OLD."id", OLD."item_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id"); RETURN NULL;', hash='f42d53c13b83103ea57e36d495539f449adf8ccb', operation='DELETE', pgid='pgtrigger_delete_delete_f2f1c', table='agencies_basecost', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='billableitem',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_billableitemevent" ("category", "code", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "price_per", "unit") VALUES (NEW."category", NEW."code", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."code", NEW."position", NEW."price_per", NEW."unit"); RETURN NULL;', hash='22d3a77f1e0ecf439f74b1cc85bf2b22806a1e9d', operation='INSERT', pgid='pgtrigger_insert_insert_6bc84', table='agencies_billableitem', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='billableitem',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "subaccounts_billableitemevent" ("category", "code", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "price_per", "unit") VALUES (NEW."category", NEW."code", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."code", NEW."position", NEW."price_per", NEW."unit"); RETURN NULL;', hash='a9a75557a4b568b4afab4092d18510143fa25e25', operation='UPDATE', pgid='pgtrigger_update_update_dedb5', table='agencies_billableitem', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='billableitem',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_billableitemevent" ("category", "code", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "price_per", "unit") VALUES (OLD."category", OLD."code", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."code", OLD."position", OLD."price_per", OLD."unit"); RETURN NULL;', hash='be94334ef087862a09e8d6caacb8f1b7578d23c0', operation='DELETE', pgid='pgtrigger_delete_delete_91577', table='agencies_billableitem', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='priceoverride',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_priceoverrideevent" ("cleared", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "price", "price_currency", "sub_account_id", "subsidize", "tiers") VALUES (NEW."cleared", NEW."created_at", NEW."created_by_id", NEW."effective_from", NEW."id", NEW."item_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."price", NEW."price_currency", NEW."sub_account_id", NEW."subsidize", NEW."tiers"); RETURN NULL;', hash='9167280095a8d8f4680cb1c2afe1f43fad41b9b2', operation='INSERT', pgid='pgtrigger_insert_insert_e9644', table='subaccounts_priceoverride', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='priceoverride',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "subaccounts_priceoverrideevent" ("cleared", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "price", "price_currency", "sub_account_id", "subsidize", "tiers") VALUES (NEW."cleared", NEW."created_at", NEW."created_by_id", NEW."effective_from", NEW."id", NEW."item_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."price", NEW."price_currency", NEW."sub_account_id", NEW."subsidize", NEW."tiers"); RETURN NULL;', hash='0384cf91ab3106159b6973643c109b4f2687795f', operation='UPDATE', pgid='pgtrigger_update_update_38d4a', table='subaccounts_priceoverride', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='priceoverride',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_priceoverrideevent" ("cleared", "created_at", "created_by_id", "effective_from", "id", "item_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "price", "price_currency", "sub_account_id", "subsidize", "tiers") VALUES (OLD."cleared", OLD."created_at", OLD."created_by_id", OLD."effective_from", OLD."id", OLD."item_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."price", OLD."price_currency", OLD."sub_account_id", OLD."subsidize", OLD."tiers"); RETURN NULL;', hash='145425b33a3b9d515e00bba3242ae4707264481b', operation='DELETE', pgid='pgtrigger_delete_delete_011de', table='subaccounts_priceoverride', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='subaccount',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_subaccountevent" ("agency_id", "card_brand", "card_last4", "created_at", "external_id", "id", "itemised_usage_visible", "name", "payment_customer_id", "payment_gateway", "payment_method_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rebilling_enabled", "suspended_at", "suspension_reason") VALUES (NEW."agency_id", NEW."card_brand", NEW."card_last4", NEW."created_at", NEW."external_id", NEW."id", NEW."itemised_usage_visible", NEW."name", NEW."payment_customer_id", NEW."payment_gateway", NEW."payment_method_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."rebilling_enabled", NEW."suspended_at", NEW."suspension_reason"); RETURN NULL;', hash='64bb79871d4216341f4cc10d47a9ea47044e292c', operation='INSERT', pgid='pgtrigger_insert_insert_83b5a', table='subaccounts_subaccount', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='subaccount',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "subaccounts_subaccountevent" ("agency_id", "card_brand", "card_last4", "created_at", "external_id", "id", "itemised_usage_visible", "name", "payment_customer_id", "payment_gateway", "payment_method_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rebilling_enabled", "suspended_at", "suspension_reason") VALUES (NEW."agency_id", NEW."card_brand", NEW."card_last4", NEW."created_at", NEW."external_id", NEW."id", NEW."itemised_usage_visible", NEW."name", NEW."payment_customer_id", NEW."payment_gateway", NEW."payment_method_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."rebilling_enabled", NEW."suspended_at", NEW."suspension_reason"); RETURN NULL;', hash='8f3de0c915e64acdbb1c80cd56ce434d87641211', operation='UPDATE', pgid='pgtrigger_update_update_7b44a', table='subaccounts_subaccount', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='subaccount',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "subaccounts_subaccountevent" ("agency_id", "card_brand", "card_last4", "created_at", "external_id", "id", "itemised_usage_visible", "name", "payment_customer_id", "payment_gateway", "payment_method_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rebilling_enabled", "suspended_at", "suspension_reason") VALUES (OLD."agency_id", OLD."card_brand", OLD."card_last4", OLD."created_at", OLD."external_id", OLD."id", OLD."itemised_usage_visible", OLD."name", OLD."payment_customer_id", OLD."payment_gateway", OLD."payment_method_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."rebilling_enabled", OLD."suspended_at", OLD."suspension_reason"); RETURN NULL;', hash='3550d3d5daa3d82c7b50c75144f407f7f1b5266d', operation='DELETE', pgid='pgtrigger_delete_delete_95c42', table='subaccounts_subaccount', when='AFTER')),
        ),
        migrations.AddField(
            model_name='agencypriceevent',
            name='agency',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='agencies.agency'),
        ),
        migrations.AddField(
            model_name='agencypriceevent',
            name='created_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='agencypriceevent',
            name='item',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='subaccounts.billableitem'),
        ),
        migrations.AddField(
            model_name='agencypriceevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='agencypriceevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='subaccounts.agencyprice'),
        ),
        migrations.AddField(
            model_name='basecostevent',
            name='created_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='basecostevent',
            name='item',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='subaccounts.billableitem'),
        ),
        migrations.AddField(
            model_name='basecostevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='basecostevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='subaccounts.basecost'),
        ),
        migrations.AddField(
            model_name='billableitemevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='billableitemevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='subaccounts.billableitem'),
        ),
        migrations.AddField(
            model_name='priceoverrideevent',
            name='created_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='priceoverrideevent',
            name='item',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='subaccounts.billableitem'),
        ),
        migrations.AddField(
            model_name='priceoverrideevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='priceoverrideevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='subaccounts.priceoverride'),
        ),
        migrations.AddField(
            model_name='priceoverrideevent',
            name='sub_account',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='subaccounts.subaccount'),
        ),
        migrations.AddField(
            model_name='subaccountevent',
            name='agency',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='agencies.agency'),
        ),
        migrations.AddField(
            model_name='subaccountevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='subaccountevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='subaccounts.subaccount'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agencypriceevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='5dea68adbb68f60046846e7bf247988014bb50a0', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_2b043', table='subaccounts_agencypriceevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='basecostevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='b98e4153ed3b6e79ba9374e10c953c0ca3ddc213', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_de473', table='subaccounts_basecostevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='billableitemevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='7b687d00463ca3ee6596c28ce2809484471d5ff0', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_b76d0', table='subaccounts_billableitemevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='priceoverrideevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='7048b0bb2efba1d2336c7ab3e004798cc462f4ac', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_3930f', table='subaccounts_priceoverrideevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='subaccountevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='ac33429215008c4a907e967f5f55e7fe87f7f0c2', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_b66d7', table='subaccounts_subaccountevent', when='BEFORE')),
        ),
        history_baseline('subaccounts', 'BillableItemEvent', 'BaseCostEvent', 'AgencyPriceEvent', 'PriceOverrideEvent', 'SubAccountEvent'),
    ]
