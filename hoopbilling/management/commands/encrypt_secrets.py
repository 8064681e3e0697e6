from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from hoopbilling.encryption import EncryptedTextField, column_rewrite, reencrypt


class Command(BaseCommand):
    help = ("Rewrite every encrypted secret under the first of FIELD_ENCRYPTION_KEYS (after a "
            "new key was put first); the older keys can be removed once it has run.")

    def handle(self, *args, **options):
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    with transaction.atomic():
                        count = column_rewrite(connection, table=model._meta.db_table,
                                               column=field.column, pk=model._meta.pk.column,
                                               change=reencrypt)
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")
