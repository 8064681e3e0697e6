"""Secrets kept encrypted at rest: `EncryptedTextField` holds Fernet tokens (AES-128-CBC with an
HMAC-SHA256, from `cryptography`) in the database and plain text in Python.

Keys: `settings.FIELD_ENCRYPTION_KEYS` (Fernet keys; the first encrypts, every one decrypts,
so a new key goes first and the old one stays until `manage.py encrypt_secrets` has rewritten
every value). Without it, one key is derived from SECRET_KEY and one from each of
SECRET_KEY_FALLBACKS, so rotating SECRET_KEY the Django way keeps the values readable.

A database dump, a replica or a backup then holds no usable secret without the keys. Equality
lookups on an encrypted field cannot work (each token is different); only "" is stored as is.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

_fernet: MultiFernet | None = None


def _keys() -> list[bytes]:
    configured = [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]
    if configured:
        return configured
    return [base64.urlsafe_b64encode(hashlib.sha256(
        b"hoopbilling field encryption\0" + secret.encode()).digest())
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def _multi_fernet() -> MultiFernet:
    global _fernet
    if _fernet is None:
        try:
            _fernet = MultiFernet([Fernet(key) for key in _keys()])
        except ValueError as exc:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS holds Fernet keys (32 url-safe base64 bytes each: "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`).") from exc
    return _fernet


def _forget_keys(*, setting, **kwargs):
    global _fernet
    if setting in {"FIELD_ENCRYPTION_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}:
        _fernet = None


setting_changed.connect(_forget_keys)


def encrypt(plain: str) -> str:
    return _multi_fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _multi_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A secret in the database cannot be decrypted with FIELD_ENCRYPTION_KEYS (or "
            "the keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS): was a key "
            "removed before `manage.py encrypt_secrets` ran?") from exc


def reencrypt(token: str) -> str:
    """The token under the first key (the same secret)."""
    return _multi_fernet().rotate(token.encode()).decode() if token else ""


def column_rewrite(connection, *, table: str, column: str, pk: str, change) -> int:
    """Every non-empty value of `table.column` through `change`, in raw SQL (a model would
    decrypt on read), the rows locked until the caller's transaction ends. Returns how many:
    `encrypt_secrets` (reencrypt) and the migration that encrypted a column (encrypt, and
    decrypt back)."""
    table, column, pk = (connection.ops.quote_name(name) for name in (table, column, pk))
    lock = (f" {connection.ops.for_update_sql()}"
            if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''{lock}")
        rows = cursor.fetchall()
        for key, value in rows:
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",
                           [change(value), key])
    return len(rows)


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; read back as the plain text."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)
