"""The database history of the wallets' auto top-up settings (`hoopbilling.history`): the
`WalletSettingsEvent` table and its django-pgtrigger triggers, installed on PostgreSQL only.
The update trigger fires only when a setting changes, never for the balance and chain head a
posting moves; the wallets already there get a baseline."""

import django.db.models.deletion
import djmoney.models.fields
import djmoney.money
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

from hoopbilling.history import history_baseline


class Migration(migrations.Migration):

    dependencies = [
        ('pghistory', '0007_auto_20250421_0444'),
        ('subaccounts', '0005_price_and_settings_history'),
        ('wallets', '0014_topup_request_key'),
    ]

    operations = [
        migrations.CreateModel(
            name='WalletSettingsEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('auto_topup_enabled', models.BooleanField(default=False)),
                ('auto_topup_threshold_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='USD', editable=False, max_length=3)),
                ('auto_topup_threshold', djmoney.models.fields.MoneyField(currency_choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=6, default=djmoney.money.Money(0, 'USD'), max_digits=18)),
                ('auto_topup_amount_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='USD', editable=False, max_length=3)),
                ('auto_topup_amount', djmoney.models.fields.MoneyField(currency_choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=6, default=djmoney.money.Money(0, 'USD'), max_digits=18)),
                ('auto_topup_max_balance_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='USD', editable=False, max_length=3, null=True)),
                ('auto_topup_max_balance', djmoney.models.fields.MoneyField(blank=True, currency_choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=6, max_digits=18, null=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='wallet',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "wallets_walletsettingsevent" ("auto_topup_amount", "auto_topup_amount_currency", "auto_topup_enabled", "auto_topup_max_balance", "auto_topup_max_balance_currency", "auto_topup_threshold", "auto_topup_threshold_currency", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "sub_account_id") VALUES (NEW."auto_topup_amount", NEW."auto_topup_amount_currency", NEW."auto_topup_enabled", NEW."auto_topup_max_balance", NEW."auto_topup_max_balance_currency", NEW."auto_topup_threshold", NEW."auto_topup_threshold_currency", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."sub_account_id"); RETURN NULL;', hash='3a27a3932fa5257f8c03d231df2aca1e3a75ece0', operation='INSERT', pgid='pgtrigger_insert_insert_b0a2a', table='wallets_wallet', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='wallet',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."auto_topup_amount" IS DISTINCT FROM (NEW."auto_topup_amount") OR OLD."auto_topup_amount_currency" IS DISTINCT FROM (NEW."auto_topup_amount_currency") OR OLD."auto_topup_enabled" IS DISTINCT FROM (NEW."auto_topup_enabled") OR OLD."auto_topup_max_balance" IS DISTINCT FROM (NEW."auto_topup_max_balance") OR OLD."auto_topup_max_balance_currency" IS DISTINCT FROM (NEW."auto_topup_max_balance_currency") OR OLD."auto_topup_threshold" IS DISTINCT FROM (NEW."auto_topup_threshold") OR OLD."auto_topup_threshold_currency" IS DISTINCT FROM (NEW."auto_topup_threshold_currency") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."sub_account_id" IS DISTINCT FROM (NEW."sub_account_id"))', func='INSERT INTO "wallets_walletsettingsevent" ("auto_topup_amount", "auto_topup_amount_currency", "auto_topup_enabled", "auto_topup_max_balance", "auto_topup_max_balance_currency", "auto_topup_threshold", "auto_topup_threshold_currency", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "sub_account_id") VALUES (NEW."auto_topup_amount", NEW."auto_topup_amount_currency", NEW."auto_topup_enabled", NEW."auto_topup_max_balance", NEW."auto_topup_max_balance_currency", NEW."auto_topup_threshold", NEW."auto_topup_threshold_currency", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."sub_account_id"); RETURN NULL;', hash='5e3d5a4dda512af1dbe7364f86ee2e26e6220b75', operation='UPDATE', pgid='pgtrigger_update_update_9f615', table='wallets_wallet', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='wallet',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "wallets_walletsettingsevent" ("auto_topup_amount", "auto_topup_amount_currency", "auto_topup_enabled", "auto_topup_max_balance", "auto_topup_max_balance_currency", "auto_topup_threshold", "auto_topup_threshold_currency", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "sub_account_id") VALUES (OLD."auto_topup_amount", OLD."auto_topup_amount_currency", OLD."auto_topup_enabled", OLD."auto_topup_max_balance", OLD."auto_topup_max_balance_currency", OLD."auto_topup_threshold", OLD."auto_topup_threshold_currency", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."sub_account_id"); RETURN NULL;', hash='a541334fca0bb63f4202832077d149acba4d9f1d', operation='DELETE', pgid='pgtrigger_delete_delete_85ee2', table='wallets_wallet', when='AFTER')),
        ),
        migrations.AddField(
            model_name='walletsettingsevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='walletsettingsevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='id_sub_account_auto_topup_enabled_auto_topup_threshold_auto_topup_threshold_currency_auto_topup_amount_auto_topup_amount_currency_auto_topup_max_balance_auto_topup_max_balance_currency_events', to='wallets.wallet'),
        ),
        migrations.AddField(
            model_name='walletsettingsevent',
            name='sub_account',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='subaccounts.subaccount'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='walletsettingsevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='7cbe06345b9050054e1e7742959266b779fbfe52', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_f51c1', table='wallets_walletsettingsevent', when='BEFORE')),
        ),
        history_baseline('wallets', 'WalletSettingsEvent'),
    ]
