from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from hoopbilling.encryption import EncryptedTextField, reencrypt


class Command(BaseCommand):
    help = ("Rewrite every encrypted secret under the first of FIELD_ENCRYPTION_KEYS (after a "
            "new key was put first); the older keys can be removed once it has run.")

    def handle(self, *args, **options):
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    count = self._rewrite(model, field)
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")

    def _rewrite(self, model, field) -> int:
        table, column, pk = (connection.ops.quote_name(name) for name in (
            model._meta.db_table, field.column, model._meta.pk.column))
        lock = (f" {connection.ops.for_update_sql()}"
                if connection.features.has_select_for_update else "")
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            # Raw values: the model would decrypt them; the rows are locked until the commit.
            cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''{lock}")
            for key, token in cursor.fetchall():
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",
                               [reencrypt(token), key])
                count += 1
        return count
