"""Agency services: the only code that writes agencies, their people and their keys."""

import hashlib
import secrets
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from moneyed import Money

from agencies.models import Agency, AgencyMembership, ApiKey
from agencies.signals import agency_credit_changed
from hoopbilling.audit import audit_record, audit_value
from hoopbilling.errors import InvalidInput
from hoopbilling.money import AMOUNT_MAX, CENT, bounded_decimal, decimal_input
from hoopbilling.text import clean_name

API_KEY_PREFIX = "hb_"


def hash_api_key(raw_key: str) -> str:
    # API keys are 256-bit random secrets, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


def currency_check(currency: str) -> None:
    """InvalidInput unless `currency` is one an agency may bill in."""
    if currency not in settings.CURRENCIES:
        raise InvalidInput(
            f"Unknown or unsupported currency {currency!r}; use one of "
            f"{', '.join(settings.CURRENCIES)}.", field="currency",
        )


@transaction.atomic
def agency_create(
    *, name: str, admin_email: str, admin_password: str | None = None, currency: str = "USD",
    plan_rebilling_allowed: bool = True, actor=None,
) -> tuple[Agency, str]:
    """A new agency with its first admin and one API key. Returns (agency, raw API key)."""
    name = clean_name(name)
    currency_check(currency)
    try:
        validate_email(admin_email)
        if len(admin_email) > 150:  # the login's length
            raise ValidationError("too long")
    except ValidationError as exc:
        raise InvalidInput(f"{admin_email!r} is not an email address.",
                           field="admin_email") from exc
    User = get_user_model()
    if User.objects.filter(username__iexact=admin_email).exists():
        raise InvalidInput(f"A user {admin_email} already exists.", field="admin_email")
    user = User(username=admin_email, email=admin_email)
    if admin_password:
        try:
            validate_password(admin_password, user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="admin_password") from exc
        user.set_password(admin_password)
    else:
        user.set_unusable_password()
    user.save()

    agency = Agency(name=name, currency=currency, plan_rebilling_allowed=plan_rebilling_allowed,
                    rebilling_enabled=plan_rebilling_allowed)
    agency.full_clean()
    agency.save()
    AgencyMembership.objects.create(agency=agency, user=user, role=AgencyMembership.Role.ADMIN)
    _, raw_key = api_key_issue(agency=agency, name="Default", actor=actor)
    audit_record(action="agency.create", obj=agency, actor=actor, agency_id=agency.pk,
                 after={"name": name, "currency": currency, "admin_email": admin_email})
    return agency, raw_key


@transaction.atomic
def api_key_issue(*, agency: Agency, name: str = "Default", actor=None) -> tuple[ApiKey, str]:
    """A new key for `agency`. The raw key is returned once and never stored."""
    prefix = secrets.token_hex(4)
    raw_key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(agency=agency, name=name, prefix=prefix,
                                key_hash=hash_api_key(raw_key),
                                created_by=actor if getattr(actor, "pk", None) else None)
    audit_record(action="api_key.issue", obj=key, actor=actor, agency_id=agency.pk,
                 after={"prefix": prefix, "name": name})
    return key, raw_key


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor=None, reason: str = "") -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(action="api_key.revoke", obj=key, actor=actor, agency_id=key.agency_id,
                     before={"revoked_at": None}, after={"revoked_at": key.revoked_at.isoformat()},
                     reason=reason)
    return key


def _validate_retry_schedule(hours) -> list:
    if not isinstance(hours, list) or not 1 <= len(hours) <= 10:
        raise InvalidInput("A retry schedule is a list of 1 to 10 numbers of hours.",
                           field="retry_schedule_hours")
    cleaned = []
    for number, value in enumerate(hours, start=1):
        # A JSON number (1.5: hours are no money, a float will do) or a plain decimal
        # string ("1.5"); not "1e2", "１" or true.
        delay = Decimal(str(value)) if isinstance(value, float) else decimal_input(value)
        if delay is None or not delay.is_finite():
            raise InvalidInput(f"Retry {number}: a delay is a number of hours such as 6 or "
                               f"1.5, not {value!r}.", field="retry_schedule_hours")
        if not 0 <= delay <= 24 * 30 or delay != delay.quantize(CENT):
            raise InvalidInput(f"Retry {number}: a delay is 0 to 720 hours, to the hundredth "
                               "at most.", field="retry_schedule_hours")
        cleaned.append(int(delay) if delay == delay.to_integral_value() else str(delay))
    return cleaned


def credit_limit_clean(value, *, field: str = "credit_limit") -> Decimal:
    """A credit limit as a person or a client sends one: a decimal string (or whole number)
    from 0 to AMOUNT_MAX in whole cents; InvalidInput naming `field` otherwise."""
    limit = decimal_input(value)
    if limit is None:
        raise InvalidInput(f'A credit limit is a decimal string such as "50.00", not {value!r}.',
                           field=field)
    return bounded_decimal(limit, field=field, maximum=AMOUNT_MAX, places=2,
                           what="A credit limit")


@transaction.atomic
def agency_update(*, agency: Agency, changes: Mapping, actor=None,
                  actor_label: str = "") -> Agency:
    """Change an agency's own settings: `changes` holds some of `name`, `rebilling_enabled`,
    `retry_schedule_hours`, `credit_limit` (the default of its clients: how far below zero
    their wallets may go; any other key is refused, naming it).

    Rebilling can only be switched on when the agency's plan allows it. A changed credit
    limit or rebilling switch sends `agency_credit_changed` (the ledger then lifts the
    clients now within their limit).
    """
    allowed = {"name", "rebilling_enabled", "retry_schedule_hours", "credit_limit"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    before = {field: audit_value(getattr(agency, field)) for field in changes}
    if "name" in changes:
        agency.name = clean_name(changes["name"])
    if "rebilling_enabled" in changes:
        if not isinstance(changes["rebilling_enabled"], bool):
            raise InvalidInput("rebilling_enabled is true or false.", field="rebilling_enabled")
        if changes["rebilling_enabled"] and not agency.plan_rebilling_allowed:
            raise InvalidInput("This agency's plan does not allow rebilling.",
                               field="rebilling_enabled", code="plan_does_not_allow_rebilling")
        agency.rebilling_enabled = changes["rebilling_enabled"]
    if "retry_schedule_hours" in changes:
        agency.retry_schedule_hours = _validate_retry_schedule(changes["retry_schedule_hours"])
    if "credit_limit" in changes:
        agency.credit_limit = Money(credit_limit_clean(changes["credit_limit"]), agency.currency)
    agency.full_clean()
    agency.save()
    after = {field: audit_value(getattr(agency, field)) for field in changes}
    if after != before:
        audit_record(action="agency.update", obj=agency, actor=actor, actor_label=actor_label,
                     agency_id=agency.pk, before=before, after=after)
        if any(after[field] != before[field] for field in ("credit_limit", "rebilling_enabled")
               if field in changes):
            agency_credit_changed.send(sender=Agency, agency=agency)
    return agency


OPERATOR_FIELDS = {"plan_rebilling_allowed", "billing_anchor_day", "suspension_blocked_items",
                   "stripe_account_id", "stripe_restricted_key"}


@transaction.atomic
def agency_operator_update(*, agency: Agency, actor=None, actor_label: str = "",
                           **changes) -> Agency:
    """The platform operator's settings of an agency: its plan, billing anchor day, the items
    a suspension blocks and its Stripe connection. A plan without rebilling switches the
    agency's rebilling off. The restricted key is never written to the audit log.

    The catalog is not this app's: the caller checks that blocked items name catalog items
    (`subaccounts.suspension.blocked_items_check`, as the operators' admin does)."""
    unknown = set(changes) - OPERATOR_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    fields = set(changes) | ({"rebilling_enabled"}
                             if changes.get("plan_rebilling_allowed") is False else set())

    def snapshot():
        values = {field: getattr(agency, field) for field in sorted(fields)}
        if "stripe_restricted_key" in values:
            values["stripe_restricted_key"] = "set" if values["stripe_restricted_key"] else ""
        return values

    before = snapshot()
    for field, value in changes.items():
        setattr(agency, field, value)
    if not agency.plan_rebilling_allowed:
        agency.rebilling_enabled = False
    blocked = agency.suspension_blocked_items
    if not isinstance(blocked, list) or not all(isinstance(code, str) for code in blocked):
        raise InvalidInput("Blocked items are a list of item codes.",
                           field="suspension_blocked_items")
    try:
        agency.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field) from exc
    agency.save()
    after = snapshot()
    changed = [field for field in after if after[field] != before[field]]
    before, after = ({f: before[f] for f in changed}, {f: after[f] for f in changed})
    if changed:
        audit_record(action="agency.operator_update", obj=agency, actor=actor,
                     actor_label=actor_label, agency_id=agency.pk, before=before, after=after)
    if "rebilling_enabled" in changed:
        agency_credit_changed.send(sender=Agency, agency=agency)
    return agency
