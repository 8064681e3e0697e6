"""The agency's idempotency keys for its actions (credit, refund, retry, suspend, resume):
one key space per agency, shared by every action (`ActionKey`).

`action_key_claim` is the first step of an action that takes a key: it returns the key's row
(new or found) or raises `IdempotencyConflict` when the key already named another request.
The action then derives its own keys from the row (a ledger entry `credit:<row id>`, a
refund's gateway key), so a replay, or two requests with one key racing, does the work once.
"""

import hashlib
import json

from django.db import IntegrityError, transaction

from agencies.models import ActionKey, Agency
from hoopbilling.errors import IdempotencyConflict, InvalidInput

KEY_MAX = 255


def action_key_clean(key) -> str:
    """The key as given: 1-255 characters, or "" for none."""
    if key is None or key == "":
        return ""
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_MAX:
        raise InvalidInput(f"An idempotency key has 1 to {KEY_MAX} characters.",
                           field="idempotency_key")
    return key


def _fingerprint(action: str, request: dict) -> str:
    material = json.dumps({"action": action, **request}, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def action_key_find(*, agency: Agency, key: str, action: str,
                    request: dict) -> ActionKey | None:
    """The key's row when it was already used for this very request; None when it is new;
    `IdempotencyConflict` when it named another request."""
    row = ActionKey.objects.filter(agency=agency, key=key).first()
    if row is not None and row.fingerprint != _fingerprint(action, request):
        raise IdempotencyConflict(
            f"Idempotency key {key!r} was used for another request.", field="idempotency_key")
    return row


def action_key_claim(*, agency: Agency, key: str, action: str,
                     request: dict) -> tuple[ActionKey, bool]:
    """The key's row for this request and whether it is new (see the module docstring). Inside
    a caller's transaction the row commits or rolls back with the action."""
    row = action_key_find(agency=agency, key=key, action=action, request=request)
    if row is not None:
        return row, False
    try:
        with transaction.atomic():
            return ActionKey.objects.create(agency=agency, key=key, action=action,
                                            fingerprint=_fingerprint(action, request)), True
    except IntegrityError:
        # Another request with this key won the race: its row decides.
        row = action_key_find(agency=agency, key=key, action=action, request=request)
        if row is None:
            raise
        return row, False
