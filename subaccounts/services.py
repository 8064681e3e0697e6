"""Sub-account services: the only code that writes sub-accounts and their memberships."""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from moneyed import Money

from agencies.models import Agency
from agencies.services import credit_limit_clean
from hoopbilling.audit import audit_record, audit_value
from hoopbilling.errors import InvalidInput
from hoopbilling.text import clean_name
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.signals import (
    subaccount_created,
    subaccount_credit_changed,
    subaccount_lifted,
    subaccount_suspended,
)


@transaction.atomic
def subaccount_create(
    *, agency: Agency, name: str, external_id: str | None = None, actor=None,
    actor_label: str = "",
) -> SubAccount:
    """A new client of `agency`, rebilled by default, with its wallet (opened by `wallets`)."""
    name = clean_name(name)
    if external_id is not None:
        if not 1 <= len(external_id) <= 255:
            raise InvalidInput("An external id has 1 to 255 characters.", field="external_id")
        if SubAccount.objects.filter(agency=agency, external_id=external_id).exists():
            raise InvalidInput(f"A sub-account with external id {external_id!r} exists.",
                               field="external_id")
    sub_account = SubAccount(agency=agency, name=name, external_id=external_id)
    sub_account.full_clean()
    sub_account.save()
    subaccount_created.send(sender=SubAccount, sub_account=sub_account)
    audit_record(action="subaccount.create", obj=sub_account, actor=actor,
                 actor_label=actor_label, agency_id=agency.pk,
                 after={"name": name, "external_id": external_id})
    return sub_account


@transaction.atomic
def subaccount_update(*, sub_account: SubAccount, changes: Mapping, actor=None,
                      actor_label: str = "") -> SubAccount:
    """Change a client's `name`, `rebilling_enabled`, `itemised_usage_visible` or
    `credit_limit` (`changes`; any other key is refused, naming it). `credit_limit` is an
    amount (`agencies.services.credit_limit_clean`) or None for the agency's.

    A changed limit or rebilling switch sends `subaccount_credit_changed`: once it commits,
    the ledger lifts a credit-limit suspension the client is now within (a lowered limit
    suspends nobody retroactively: the next charge does)."""
    allowed = {"name", "rebilling_enabled", "itemised_usage_visible", "credit_limit"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    sub_account = (SubAccount.objects.select_for_update(of=("self",)).select_related("agency")
                   .get(pk=sub_account.pk))
    before = {field: audit_value(getattr(sub_account, field)) for field in changes}
    for field in ("rebilling_enabled", "itemised_usage_visible"):
        if field in changes:
            if not isinstance(changes[field], bool):
                raise InvalidInput(f"{field} is true or false.", field=field)
            setattr(sub_account, field, changes[field])
    if "name" in changes:
        sub_account.name = clean_name(changes["name"])
    if "credit_limit" in changes:
        limit = changes["credit_limit"]
        sub_account.credit_limit = (None if limit is None else Money(
            credit_limit_clean(limit), sub_account.agency.currency))
    sub_account.full_clean()
    sub_account.save()
    after = {field: audit_value(getattr(sub_account, field)) for field in changes}
    if after != before:
        audit_record(action="subaccount.update", obj=sub_account, actor=actor,
                     actor_label=actor_label, agency_id=sub_account.agency_id,
                     before=before, after=after)
        if any(after[field] != before[field] for field in ("credit_limit", "rebilling_enabled")
               if field in changes):
            subaccount_credit_changed.send(sender=SubAccount, sub_account=sub_account)
    return sub_account


@transaction.atomic
def subaccount_suspend(*, sub_account: SubAccount, reason: str, note: str, items=(),
                       actor=None, actor_label: str = "") -> bool:
    """Suspend the client for `reason` (a `SuspensionReason`), said in words in `note`;
    `items` are the item codes it blocks (empty: the agency's, `subaccounts.suspension`).

    Returns False, changing nothing, when it is already suspended (the first reason stays:
    each reason is lifted by its own cause).
    """
    if reason not in SuspensionReason.values:
        raise InvalidInput(f"Unknown suspension reason {reason!r}.", field="reason")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("A suspension needs a reason.", field="reason")
    locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    if locked.suspended:
        return False
    locked.suspended_at = timezone.now()
    locked.suspension_reason = reason
    locked.suspension_note = note[:255]
    locked.suspension_items = list(items)
    locked.save(update_fields=["suspended_at", "suspension_reason", "suspension_note",
                               "suspension_items"])
    for field in _SUSPENSION_FIELDS:
        setattr(sub_account, field, getattr(locked, field))
    audit_record(action="subaccount.suspend", obj=locked, actor=actor, actor_label=actor_label,
                 agency_id=locked.agency_id, reason=locked.suspension_note,
                 after={"reason": reason, "items": locked.suspension_items})
    subaccount_suspended.send(sender=SubAccount, sub_account=locked, actor_label=actor_label)
    return True


_SUSPENSION_FIELDS = ("suspended_at", "suspension_reason", "suspension_note",
                      "suspension_items")


@transaction.atomic
def subaccount_lift(*, sub_account: SubAccount, only: tuple[str, ...] | None = None,
                    actor=None, actor_label: str = "", reason: str = "") -> bool:
    """End the client's suspension (when `only` is given, only a suspension for one of those
    reasons). Returns False, changing nothing, when there is none to lift."""
    locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    if not locked.suspended or (only is not None and locked.suspension_reason not in only):
        return False
    before = {"reason": locked.suspension_reason, "note": locked.suspension_note}
    lifted_reason, suspended_at = locked.suspension_reason, locked.suspended_at
    locked.suspended_at = None
    locked.suspension_reason = locked.suspension_note = ""
    locked.suspension_items = []
    locked.save(update_fields=list(_SUSPENSION_FIELDS))
    for field in _SUSPENSION_FIELDS:
        setattr(sub_account, field, getattr(locked, field))
    audit_record(action="subaccount.lift", obj=locked, actor=actor, actor_label=actor_label,
                 agency_id=locked.agency_id, before=before, reason=reason)
    subaccount_lifted.send(sender=SubAccount, sub_account=locked, reason=lifted_reason,
                           suspended_at=suspended_at, actor_label=actor_label)
    return True


@transaction.atomic
def payment_method_set(*, sub_account: SubAccount, gateway: str, customer_id: str,
                       payment_method_id: str, brand: str, last4: str, actor=None,
                       actor_label: str = "") -> SubAccount:
    """Record the card the gateway has attached to this client's own customer."""
    locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    before = {"payment_method": locked.payment_method_id, "card_last4": locked.card_last4}
    locked.payment_gateway = gateway
    locked.payment_customer_id = customer_id
    locked.payment_method_id = payment_method_id
    locked.card_brand = brand[:20]
    locked.card_last4 = last4[:4]
    locked.full_clean()
    locked.save(update_fields=["payment_gateway", "payment_customer_id", "payment_method_id",
                               "card_brand", "card_last4"])
    for field in ("payment_gateway", "payment_customer_id", "payment_method_id", "card_brand",
                  "card_last4"):
        setattr(sub_account, field, getattr(locked, field))
    audit_record(action="subaccount.payment_method_set", obj=locked, actor=actor,
                 actor_label=actor_label, agency_id=locked.agency_id, before=before,
                 after={"payment_method": payment_method_id, "card_last4": last4})
    return locked
