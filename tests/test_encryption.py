"""hoopbilling.encryption: secrets in the database are ciphertext, read back as plain text,
readable across a key rotation, and rewritten under the new key by `encrypt_secrets`."""

import importlib
import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from agencies.api_auth import active_api_key
from agencies.models import Agency
from agencies.services import hash_api_key
from tests.factories import AgencyFactory, ApiKeyFactory

pytestmark = pytest.mark.django_db

KEY = "rk_live_51AbCdEfGhIjKlMnOpQrStUvWxYz"


def db_id(agency):
    return Agency._meta.pk.get_db_prep_value(agency.pk, connection)


def stored(agency) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stripe_restricted_key FROM agencies_agency WHERE id = %s",
                       [db_id(agency)])
        return cursor.fetchone()[0]


def test_the_stripe_key_is_ciphertext_in_the_database_and_plain_in_python():
    agency = AgencyFactory(stripe_restricted_key=KEY)
    raw = stored(agency)
    assert KEY not in raw and raw.startswith("gAAAAA")  # a Fernet token
    assert Agency.objects.get(pk=agency.pk).stripe_restricted_key == KEY
    # each write is a new token: equal keys do not show as equal ciphertexts
    other = AgencyFactory(stripe_restricted_key=KEY)
    assert stored(other) != raw


def test_no_key_is_stored_as_empty():
    agency = AgencyFactory(stripe_restricted_key="")
    assert stored(agency) == ""
    assert Agency.objects.filter(pk=agency.pk, stripe_restricted_key="").exists()


def test_a_key_rotation_keeps_values_readable_and_the_command_moves_them_to_the_new_key(
        settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    agency = AgencyFactory(stripe_restricted_key=KEY)
    before = stored(agency)

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # the new key first, the old one still read
    assert Agency.objects.get(pk=agency.pk).stripe_restricted_key == KEY
    out = io.StringIO()
    call_command("encrypt_secrets", stdout=out)
    assert "agencies.Agency.stripe_restricted_key: 1 re-encrypted" in out.getvalue()
    assert stored(agency) != before

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key gone: still readable
    assert Agency.objects.get(pk=agency.pk).stripe_restricted_key == KEY


def test_a_value_no_key_opens_is_a_configuration_error_not_a_silent_blank(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    agency = AgencyFactory(stripe_restricted_key=KEY)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        Agency.objects.get(pk=agency.pk)


def test_without_configured_keys_the_key_comes_from_secret_key_and_its_fallbacks(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    agency = AgencyFactory(stripe_restricted_key=KEY)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]  # SECRET_KEY rotated Django's way
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert Agency.objects.get(pk=agency.pk).stripe_restricted_key == KEY


def test_the_migration_encrypts_keys_stored_before_it_and_decrypts_them_on_the_way_back():
    migration = importlib.import_module("agencies.migrations.0006_encrypt_stripe_restricted_key")
    agency = AgencyFactory()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE agencies_agency SET stripe_restricted_key = %s WHERE id = %s",
                       [KEY, db_id(agency)])

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.encrypt_keys(None, editor)
    assert stored(agency).startswith("gAAAAA")
    assert Agency.objects.get(pk=agency.pk).stripe_restricted_key == KEY
    migration.decrypt_keys(None, editor)
    assert stored(agency) == KEY


def test_an_api_request_leaves_the_stripe_key_encrypted_until_a_payment_reads_it():
    api_key = ApiKeyFactory(agency=AgencyFactory(stripe_restricted_key=KEY))
    agency = active_api_key(hash_api_key(api_key.raw_key)).agency
    assert "stripe_restricted_key" in agency.get_deferred_fields()
    assert agency.stripe_restricted_key == KEY  # loaded (and decrypted) on first use
