"""The ledger's signing keys (hoopbilling/signing.py): configured or derived, rotated."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from hoopbilling.signing import derived_secret, key_id_of, signing_key
from tests.factories import EntryFactory
from wallets.ledger.integrity import ledger_verify

pytestmark = pytest.mark.django_db


def test_a_configured_key_shorter_than_32_characters_is_refused(settings):
    settings.LEDGER_HMAC_KEYS = ["too-short"]
    with pytest.raises(ImproperlyConfigured, match="at least 32 characters"):
        signing_key()


def test_without_configured_keys_the_key_comes_from_secret_key_and_its_fallbacks(settings):
    settings.LEDGER_HMAC_KEYS = []
    entry = EntryFactory(amount=Decimal("10"))
    assert entry.key_id == key_id_of(derived_secret(settings.SECRET_KEY).encode())
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]  # SECRET_KEY rotated Django's way
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert [check for check in ledger_verify() if not check.ok] == []
    settings.SECRET_KEY_FALLBACKS = []
    [check] = ledger_verify()
    assert "which is not one of LEDGER_HMAC_KEYS" in check.problems[0]


def test_the_derived_key_can_be_listed_behind_a_new_one(settings):
    settings.LEDGER_HMAC_KEYS = []
    entry = EntryFactory(amount=Decimal("10"))
    settings.LEDGER_HMAC_KEYS = ["a-brand-new-ledger-key-0123456789abcdef",
                                 derived_secret(settings.SECRET_KEY)]
    second = EntryFactory(wallet=entry.wallet, amount=Decimal("1"))
    assert second.key_id != entry.key_id
    assert [check for check in ledger_verify() if not check.ok] == []
