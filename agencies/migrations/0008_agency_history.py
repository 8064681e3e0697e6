"""The database history of the agency's settings (`hoopbilling.history`): the `AgencyEvent`
table and the django-pgtrigger triggers that fill it on every insert, update and delete (not
on a change of `prices_version` alone; a new Stripe key only as the event `stripe_key.update`,
without the key), installed on PostgreSQL only; the agencies already there get a baseline."""

import uuid

import django.core.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

import agencies.models
from hoopbilling.history import history_baseline


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0007_pricing_tables_to_subaccounts'),
        ('pghistory', '0007_auto_20250421_0444'),
    ]

    operations = [
        migrations.CreateModel(
            name='AgencyEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, serialize=False)),
                ('name', models.CharField(max_length=200)),
                ('currency', models.CharField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='USD', max_length=3)),
                ('plan_rebilling_allowed', models.BooleanField(default=True, help_text="Set by the platform: whether this agency's plan includes rebilling.", verbose_name='plan allows rebilling')),
                ('rebilling_enabled', models.BooleanField(default=True)),
                ('retry_schedule_hours', models.JSONField(default=agencies.models.default_retry_schedule)),
                ('suspension_blocked_items', models.JSONField(blank=True, default=list)),
                ('billing_anchor_day', models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(28)])),
                ('stripe_account_id', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agency',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "agencies_agencyevent" ("billing_anchor_day", "created_at", "currency", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "plan_rebilling_allowed", "rebilling_enabled", "retry_schedule_hours", "stripe_account_id", "suspension_blocked_items") VALUES (NEW."billing_anchor_day", NEW."created_at", NEW."currency", NEW."id", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."plan_rebilling_allowed", NEW."rebilling_enabled", NEW."retry_schedule_hours", NEW."stripe_account_id", NEW."suspension_blocked_items"); RETURN NULL;', hash='c2632c57d0ab80bfd3bf6cab0da103b0435de8fb', operation='INSERT', pgid='pgtrigger_insert_insert_064bb', table='agencies_agency', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agency',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."billing_anchor_day" IS DISTINCT FROM (NEW."billing_anchor_day") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."currency" IS DISTINCT FROM (NEW."currency") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."plan_rebilling_allowed" IS DISTINCT FROM (NEW."plan_rebilling_allowed") OR OLD."rebilling_enabled" IS DISTINCT FROM (NEW."rebilling_enabled") OR OLD."retry_schedule_hours" IS DISTINCT FROM (NEW."retry_schedule_hours") OR OLD."stripe_account_id" IS DISTINCT FROM (NEW."stripe_account_id") OR OLD."suspension_blocked_items" IS DISTINCT FROM (NEW."suspension_blocked_items"))', func='INSERT INTO "agencies_agencyevent" ("billing_anchor_day", "created_at", "currency", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "plan_rebilling_allowed", "rebilling_enabled", "retry_schedule_hours", "stripe_account_id", "suspension_blocked_items") VALUES (NEW."billing_anchor_day", NEW."created_at", NEW."currency", NEW."id", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."plan_rebilling_allowed", NEW."rebilling_enabled", NEW."retry_schedule_hours", NEW."stripe_account_id", NEW."suspension_blocked_items"); RETURN NULL;', hash='707306aacdef3a4383ce6ab8f50dec2c69545a80', operation='UPDATE', pgid='pgtrigger_update_update_187e7', table='agencies_agency', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agency',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "agencies_agencyevent" ("billing_anchor_day", "created_at", "currency", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "plan_rebilling_allowed", "rebilling_enabled", "retry_schedule_hours", "stripe_account_id", "suspension_blocked_items") VALUES (OLD."billing_anchor_day", OLD."created_at", OLD."currency", OLD."id", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."plan_rebilling_allowed", OLD."rebilling_enabled", OLD."retry_schedule_hours", OLD."stripe_account_id", OLD."suspension_blocked_items"); RETURN NULL;', hash='c0b525f71f3a3d5ae216b9d7e5437b944b3cdbe5', operation='DELETE', pgid='pgtrigger_delete_delete_9c312', table='agencies_agency', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agency',
            trigger=pgtrigger.compiler.Trigger(name='stripe_key_update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."stripe_restricted_key" IS DISTINCT FROM (NEW."stripe_restricted_key"))', func='INSERT INTO "agencies_agencyevent" ("billing_anchor_day", "created_at", "currency", "id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "plan_rebilling_allowed", "rebilling_enabled", "retry_schedule_hours", "stripe_account_id", "suspension_blocked_items") VALUES (NEW."billing_anchor_day", NEW."created_at", NEW."currency", NEW."id", NEW."name", _pgh_attach_context(), NOW(), \'stripe_key.update\', NEW."id", NEW."plan_rebilling_allowed", NEW."rebilling_enabled", NEW."retry_schedule_hours", NEW."stripe_account_id", NEW."suspension_blocked_items"); RETURN NULL;', hash='81c9eaf614153b725bccdc72407cb2a4a213ceb5', operation='UPDATE', pgid='pgtrigger_stripe_key_update_update_7978c', table='agencies_agency', when='AFTER')),
        ),
        migrations.AddField(
            model_name='agencyevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='agencyevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='agencies.agency'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='agencyevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='cbbc27af7eaf7d061c9ac44b724cba285dde3720', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_79c25', table='agencies_agencyevent', when='BEFORE')),
        ),
        history_baseline('agencies', 'AgencyEvent'),
    ]
