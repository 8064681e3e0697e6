"""An agency's own Stripe account: a Connect account id or a restricted key, audited; the key
never appears in full in an audit row or on a page (`key_masked`). The page beside it also
sets which items a suspension blocks (`subaccounts.suspension`)."""

import re

from django.db import transaction

from agencies.models import Agency
from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput

ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]{6,}$")
RESTRICTED_KEY = re.compile(r"^rk_(test|live)_[A-Za-z0-9]{16,}$")


def key_masked(key: str) -> str:
    """`rk_live_…wxyz`: enough to recognise a key, not to use it."""
    if not key:
        return ""
    prefix, _, secret = key.rpartition("_")
    return f"{prefix}_…{secret[-4:]}"


def _connection(agency: Agency) -> dict:
    return {"stripe_account_id": agency.stripe_account_id,
            "stripe_restricted_key": key_masked(agency.stripe_restricted_key)}


@transaction.atomic
def agency_stripe_connect(*, agency: Agency, account_id: str = "", restricted_key=None,
                          actor=None, actor_label: str = "") -> Agency:
    """Charge this agency's clients through its own Stripe account: a Connect account id, or
    a restricted key of its own (`restricted_key=None` keeps the key on file; "" removes it).
    Neither: the platform's account."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    before = _connection(agency)
    previous = (agency.stripe_account_id, agency.stripe_restricted_key)
    account_id = (account_id or "").strip()
    key = agency.stripe_restricted_key if restricted_key is None else restricted_key.strip()
    if account_id and not ACCOUNT_ID.match(account_id):
        raise InvalidInput("A Connect account id looks like acct_1A2b3C4d5E6f.",
                           field="stripe_account_id")
    if key and not RESTRICTED_KEY.match(key):
        raise InvalidInput("A restricted key looks like rk_live_… (or rk_test_…).",
                           field="stripe_restricted_key")
    if account_id and key:
        raise InvalidInput("Use a Connect account id or a restricted key, not both.",
                           field="stripe_restricted_key")
    agency.stripe_account_id = account_id
    agency.stripe_restricted_key = key
    agency.full_clean()
    agency.save(update_fields=["stripe_account_id", "stripe_restricted_key"])
    if (account_id, key) != previous:
        audit_record(action="agency.stripe_connect", obj=agency, actor=actor,
                     actor_label=actor_label, agency_id=agency.pk, before=before,
                     after=_connection(agency))
    return agency
