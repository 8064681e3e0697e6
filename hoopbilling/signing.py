"""The keys that sign the ledger: HMAC-SHA256 over each entry and each checkpoint
(`wallets.ledger.posting`, `wallets.ledger.checkpoints`), so that whoever can write to the
database but does not hold a key cannot forge an entry the checks accept.

Keys: `settings.LEDGER_HMAC_KEYS` (secrets of at least 32 characters), the newest first. The
first signs; every one verifies, so a new key goes first and the old ones stay for the
entries they signed. Each key is known by a short id (`key_id`, from the key itself), which
every entry and checkpoint records. Without the setting, one key is derived from SECRET_KEY
and one from each of SECRET_KEY_FALLBACKS (as `hoopbilling.encryption` derives its keys): a
development default; production sets keys of their own, kept outside the database.
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

KEY_MIN_LENGTH = 32


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    rank: int  # 0 for the newest key; a larger rank is an older key
    mac: "hmac.HMAC"  # HMAC-SHA256 with the key and no message yet: copied for each one

    def sign(self, material: bytes) -> str:
        mac = self.mac.copy()
        mac.update(material)
        return mac.hexdigest()


_keys: dict[str, SigningKey] | None = None


def key_id_of(secret: bytes) -> str:
    """The short public name of a key (8 hex characters), stored next to what it signed."""
    return hashlib.sha256(b"hoopbilling ledger key id\0" + secret).hexdigest()[:8]


def derived_secret(secret_key: str) -> str:
    """The ledger key derived from a SECRET_KEY when LEDGER_HMAC_KEYS is unset, in the form
    the setting takes (to list it behind a new key when moving to keys of one's own)."""
    return hashlib.sha256(b"hoopbilling ledger signing\0" + secret_key.encode()).hexdigest()


def _secrets() -> list[bytes]:
    configured = [key.encode() for key in settings.LEDGER_HMAC_KEYS]
    if configured:
        if any(len(key) < KEY_MIN_LENGTH for key in configured):
            raise ImproperlyConfigured(
                f"LEDGER_HMAC_KEYS holds secrets of at least {KEY_MIN_LENGTH} characters "
                "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`).")
        return configured
    return [derived_secret(secret).encode()
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def _keyring() -> dict[str, SigningKey]:
    global _keys
    if _keys is None:
        keys: dict[str, SigningKey] = {}
        for rank, secret in enumerate(_secrets()):
            key_id = key_id_of(secret)
            keys.setdefault(key_id, SigningKey(key_id=key_id, rank=rank,
                                               mac=hmac.new(secret, digestmod=hashlib.sha256)))
        _keys = keys
    return _keys


def signing_key() -> SigningKey:
    """The newest key: the one that signs."""
    return next(iter(_keyring().values()))


def key_of(key_id: str) -> SigningKey | None:
    """The configured key of that id, or None (a key removed, or never ours)."""
    return _keyring().get(key_id)


def signature_valid(key_id: str, material: bytes, signature: str) -> bool:
    key = key_of(key_id)
    return key is not None and hmac.compare_digest(key.sign(material), signature)


def _forget_keys(*, setting, **kwargs):
    global _keys
    if setting in {"LEDGER_HMAC_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}:
        _keys = None


setting_changed.connect(_forget_keys)
