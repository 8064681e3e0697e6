"""The agency's own suspension of a client, and its resumption: `subaccount_agency_suspend`
blocks the items the agency chooses (by default messaging and calling:
docs/api.md#item-codes-and-measurement, `subaccounts.suspension`) with `suspension_reason`
"agency"; `subaccount_agency_resume` lifts that suspension and no other
(a card failure or the credit limit is lifted by money arriving, never by hand here). Both
take the agency's optional idempotency key (`agencies.idempotency`): the key is claimed in
the transaction of the change, so a refused request keeps no key and a replay changes
nothing."""

from django.db import transaction

from agencies.idempotency import action_key_claim, action_key_clean
from hoopbilling.errors import DomainError, InvalidInput
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.services import subaccount_lift, subaccount_suspend
from subaccounts.suspension import suspension_items_clean


class AlreadySuspended(DomainError):
    code = "already_suspended"
    status = 409


class NotAgencySuspension(DomainError):
    code = "not_agency_suspension"
    status = 409


@transaction.atomic
def subaccount_agency_suspend(*, sub_account: SubAccount, reason: str, items=None,
                              idempotency_key: str = "", actor=None,
                              actor_label: str = "") -> SubAccount:
    """Suspend the client for the agency: `items` blocked (empty: the default), `reason` in
    words (required). A client suspended already, for any reason, is refused
    (`AlreadySuspended`, 409): its suspension stays as it is, and the agency resumes or waits
    for the money first."""
    codes = suspension_items_clean(items)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why: a suspension needs a reason.", field="reason")
    key = action_key_clean(idempotency_key)
    if key:
        _, new = action_key_claim(agency=sub_account.agency, key=key, action="suspend",
                                  request={"sub_account": str(sub_account.pk), "items": codes,
                                           "reason": reason})
        if not new:
            return SubAccount.objects.select_related("agency").get(pk=sub_account.pk)
    if not subaccount_suspend(sub_account=sub_account, reason=SuspensionReason.AGENCY,
                              note=reason, items=codes, actor=actor, actor_label=actor_label):
        locked = SubAccount.objects.get(pk=sub_account.pk)
        raise AlreadySuspended(
            f"{locked.name} is already suspended "
            f"({locked.get_suspension_reason_display().lower()}).",
            field="suspension_reason")
    return sub_account


@transaction.atomic
def subaccount_agency_resume(*, sub_account: SubAccount, idempotency_key: str = "",
                             actor=None, actor_label: str = "") -> SubAccount:
    """Lift the agency's suspension of the client. Not suspended, or suspended for another
    reason (a card failure, the credit limit: those lift when the money arrives) is refused
    with 409 `not_agency_suspension`, saying which."""
    key = action_key_clean(idempotency_key)
    if key:
        _, new = action_key_claim(agency=sub_account.agency, key=key, action="resume",
                                  request={"sub_account": str(sub_account.pk)})
        if not new:
            return SubAccount.objects.select_related("agency").get(pk=sub_account.pk)
    if not subaccount_lift(sub_account=sub_account, only=(SuspensionReason.AGENCY,),
                           actor=actor, actor_label=actor_label, reason="resumed by the agency"):
        locked = SubAccount.objects.get(pk=sub_account.pk)
        why = ("it is not suspended" if not locked.suspended else
               f"its suspension is not the agency's: "
               f"{locked.get_suspension_reason_display().lower()}; it lifts when the money "
               "arrives")
        raise NotAgencySuspension(f"{sub_account.name} cannot be resumed: {why}.",
                                  field="suspension_reason")
    return sub_account
