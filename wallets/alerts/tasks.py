"""The alerts task: thin, takes ids, safe to run twice (each alert's key fires it once). Its
name is the one messages in flight carry (`wallets.tasks.*`)."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from wallets.alerts.firing import alerts_evaluate


def alerts_check_gate(sub_account_id) -> str:
    return f"alerts_check:{sub_account_id}"


@shared_task(name="wallets.tasks.alerts_check")
def alerts_check_task(sub_account_ids: list[str]) -> dict:
    """Evaluate these clients' alerts after a debit or usage (`wallets.alerts.firing`)."""
    # Usage from now on may enqueue a check again: what it adds is read after this point.
    cache.delete_many([alerts_check_gate(pk) for pk in sub_account_ids])
    return alerts_evaluate(sub_account_ids=sub_account_ids, now=timezone.now())
