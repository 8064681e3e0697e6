"""The outbound webhooks hear the lower packages' signals, each sent inside the transaction of
the change, and write the event there (`services.webhook_events_record`): a rollback leaves
no event, a commit leaves one. The payloads name the client by id and `external_id`, and
give amounts as strings with their currency. (Billing, above, writes `invoice.issued`
itself.)"""

from django.dispatch import receiver

from subaccounts.models import SubAccount
from subaccounts.signals import subaccount_lifted, subaccount_suspended
from wallets.alerts.signals import alert_fired
from wallets.ledger.signals import credit_granted
from wallets.payments.signals import topup_failed, topup_settled
from wallets.webhooks.services import sub_account_ref, webhook_event_record


def _amount(value) -> str:
    """As the API writes amounts: a plain decimal string, never an exponent."""
    return f"{value:f}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _topup_data(topup) -> dict:
    return {"topup": str(topup.pk), "sub_account": sub_account_ref(topup.sub_account),
            "amount": _amount(topup.amount.amount), "currency": topup.amount.currency.code,
            "trigger": topup.trigger}


@receiver(topup_settled, dispatch_uid="webhooks_topup_settled")
def topup_settled_event(sender, *, topup, balance, **kwargs):
    webhook_event_record(agency=topup.sub_account.agency, type="topup.succeeded",
                         sub_account=topup.sub_account,
                         data={**_topup_data(topup), "balance": _amount(balance),
                               "settled_at": _iso(topup.settled_at)})


@receiver(topup_failed, dispatch_uid="webhooks_topup_failed")
def topup_failed_event(sender, *, topup, attempt, retries_left, requires_action, **kwargs):
    error = attempt.error or {}
    webhook_event_record(agency=topup.sub_account.agency, type="topup.failed",
                         sub_account=topup.sub_account,
                         data={**_topup_data(topup), "attempt": attempt.number,
                               "code": error.get("code", ""),
                               "message": error.get("message", ""),
                               "requires_action": requires_action,
                               "retries_left": retries_left,
                               "next_attempt_at": _iso(topup.next_attempt_at)})


@receiver(subaccount_suspended, dispatch_uid="webhooks_subaccount_suspended")
def subaccount_suspended_event(sender, *, sub_account, **kwargs):
    webhook_event_record(agency=sub_account.agency, type="subaccount.suspended",
                         sub_account=sub_account,
                         data={"sub_account": sub_account_ref(sub_account),
                               "reason": sub_account.suspension_reason,
                               "note": sub_account.suspension_note,
                               "items": list(sub_account.suspension_items or []),
                               "suspended_at": _iso(sub_account.suspended_at)})


@receiver(subaccount_lifted, dispatch_uid="webhooks_subaccount_lifted")
def subaccount_resumed_event(sender, *, sub_account, reason, suspended_at, **kwargs):
    webhook_event_record(agency=sub_account.agency, type="subaccount.resumed",
                         sub_account=sub_account,
                         data={"sub_account": sub_account_ref(sub_account), "reason": reason,
                               "suspended_at": _iso(suspended_at),
                               # Another reason may still hold the client suspended.
                               "still_suspended_for": sub_account.suspension_reason or None})


@receiver(alert_fired, dispatch_uid="webhooks_alert_fired")
def alert_fired_event(sender, *, type, agency_id, sub_account_id, data, **kwargs):
    sub_account = SubAccount.objects.only("pk", "external_id", "agency_id").get(
        pk=sub_account_id)
    webhook_event_record(agency=agency_id, type=type, sub_account=sub_account,
                         data={**data, "sub_account": sub_account_ref(sub_account)})


@receiver(credit_granted, dispatch_uid="webhooks_credit_granted")
def credit_granted_event(sender, *, sub_account, entry, reason, balance, **kwargs):
    webhook_event_record(agency=sub_account.agency, type="credit.granted",
                         sub_account=sub_account,
                         data={"entry": str(entry.pk), "sub_account": sub_account_ref(sub_account),
                               "amount": _amount(entry.amount.amount),
                               "currency": entry.amount.currency.code, "reason": reason,
                               "balance": _amount(balance)})
