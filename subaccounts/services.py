"""Sub-account services: the only code that writes sub-accounts and their memberships."""

from django.db import transaction

from agencies.models import Agency
from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput

from .models import SubAccount
from .signals import subaccount_created


@transaction.atomic
def subaccount_create(
    *, agency: Agency, name: str, external_id: str | None = None, actor=None,
    actor_label: str = "",
) -> SubAccount:
    """A new client of `agency`, rebilled by default, with its wallet (opened by `wallets`)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A sub-account needs a name.", field="name")
    if len(name) > 200:
        raise InvalidInput("A name has at most 200 characters.", field="name")
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
def subaccount_update(*, sub_account: SubAccount, actor=None, actor_label: str = "",
                      **changes) -> SubAccount:
    """Change a client's `name`, `rebilling_enabled` or `itemised_usage_visible`."""
    allowed = {"name", "rebilling_enabled", "itemised_usage_visible"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    sub_account = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    before = {field: getattr(sub_account, field) for field in changes}
    for field in ("rebilling_enabled", "itemised_usage_visible"):
        if field in changes:
            if not isinstance(changes[field], bool):
                raise InvalidInput(f"{field} is true or false.", field=field)
            setattr(sub_account, field, changes[field])
    if "name" in changes:
        name = changes["name"].strip() if isinstance(changes["name"], str) else ""
        if not name or len(name) > 200:
            raise InvalidInput("A name has 1 to 200 characters.", field="name")
        sub_account.name = name
    sub_account.full_clean()
    sub_account.save()
    after = {field: getattr(sub_account, field) for field in changes}
    if after != before:
        audit_record(action="subaccount.update", obj=sub_account, actor=actor,
                     actor_label=actor_label, agency_id=sub_account.agency_id,
                     before=before, after=after)
    return sub_account
