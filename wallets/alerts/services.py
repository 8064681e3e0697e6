"""The writers of alert settings: the agency's default and a client's own, as a whole (the
API's PUT, "set alerts of its own") or one piece at a time (the pages: a spend alert added,
changed or deleted, the low-balance levels). Each change is audited with the settings before
and after.

Amounts are in the agency's currency. A spend alert's amount is above 0; a level is 0 or
more (a level of 0 warns when the balance goes negative). At most MAX_SPEND_ALERTS spend
alerts and MAX_LEVELS levels per settings row: an alert per cent would only flood the inbox.
"""

from decimal import Decimal

from django.db import transaction
from moneyed import Money

from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
from hoopbilling.money import AMOUNT_MAX, bounded_decimal, ensure_decimal
from wallets.alerts.models import AlertSettings, SpendAlert
from wallets.alerts.selectors import agency_alerts_forget, levels_of

MAX_SPEND_ALERTS = 10
MAX_LEVELS = 10


def plain(amount: Decimal) -> str:
    """An amount as the API and the keys write it: "50", "12.5" (no exponent, no trailing
    zeros), so "50" and "50.00" are the same level and the same alert."""
    text = f"{amount.normalize():f}"
    return "0" if text in ("-0", "0") else text


def _amount(value, *, field: str, what: str) -> Decimal:
    try:
        decimal = ensure_decimal(value, field=field)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{value!r} is not an amount.", field=field) from exc
    return bounded_decimal(decimal, field=field, maximum=AMOUNT_MAX, what=what)


def levels_clean(values) -> list[Decimal]:
    """Low-balance levels as amounts, each once, highest first; InvalidInput naming
    `low_balance` otherwise."""
    levels = sorted({_amount(value, field="low_balance", what="A level") for value in values},
                    reverse=True)
    if len(levels) > MAX_LEVELS:
        raise InvalidInput(f"At most {MAX_LEVELS} low-balance levels.", field="low_balance")
    return levels


def spend_clean(amount, window: str) -> tuple[Decimal, str]:
    amount = _amount(amount, field="amount", what="A spend alert's amount")
    if amount <= 0:
        raise InvalidInput("A spend alert's amount is above 0.", field="amount")
    if window not in SpendAlert.Window.values:
        raise InvalidInput("The window is day, week or period.", field="window")
    return amount, window


def snapshot(settings: AlertSettings | None) -> dict | None:
    if settings is None or settings.pk is None:
        return None
    return {"spend": [{"amount": plain(a.amount.amount), "window": a.window}
                      for a in settings.spend_alerts.order_by("amount", "window", "pk")],
            "low_balance": settings.low_balance_levels}


def _audit(action: str, settings: AlertSettings, before, *, actor, actor_label) -> None:
    audit_record(action=action, obj=settings, actor=actor, actor_label=actor_label,
                 agency_id=settings.agency_id, before=before, after=snapshot(settings))
    agency_id = settings.agency_id
    agency_alerts_forget(agency_id)
    transaction.on_commit(lambda: agency_alerts_forget(agency_id))


def _settings_for(agency, sub_account) -> AlertSettings:
    """The row to change, created (empty) if there is none; locked, so two changes of the same
    settings apply one after the other."""
    row, _ = AlertSettings.objects.get_or_create(agency=agency, sub_account=sub_account)
    return AlertSettings.objects.select_for_update().get(pk=row.pk)


def _spend_alerts_check_count(settings: AlertSettings, adding: int) -> None:
    if settings.spend_alerts.count() + adding > MAX_SPEND_ALERTS:
        raise InvalidInput(f"At most {MAX_SPEND_ALERTS} spend alerts.", field="amount")


@transaction.atomic
def alert_settings_put(*, agency, sub_account=None, spend: list[dict], low_balance: list,
                       actor=None, actor_label: str = "") -> AlertSettings:
    """Replace the agency's default (`sub_account=None`) or the client's own settings with
    `spend` ([{"amount", "window"}]) and `low_balance` (amounts)."""
    if sub_account is not None and sub_account.agency_id != agency.pk:
        raise InvalidInput("Not a client of this agency.", field="sub_account")
    cleaned = [spend_clean(item.get("amount"), item.get("window")) for item in spend]
    levels = levels_clean(low_balance)
    if len(set(cleaned)) > MAX_SPEND_ALERTS:
        raise InvalidInput(f"At most {MAX_SPEND_ALERTS} spend alerts.", field="spend")
    settings = _settings_for(agency, sub_account)
    before = snapshot(settings)
    settings.spend_alerts.all().delete()
    SpendAlert.objects.bulk_create([
        SpendAlert(settings=settings, amount=Money(amount, agency.currency), window=window)
        for amount, window in sorted(set(cleaned))])
    settings.low_balance_levels = [plain(level) for level in levels]
    settings.full_clean()
    settings.save()
    _audit("alerts.set", settings, before, actor=actor, actor_label=actor_label)
    return settings


@transaction.atomic
def alert_settings_own(*, sub_account, actor=None, actor_label: str = "") -> AlertSettings:
    """Give a client settings of its own, starting from the agency's default (the pages'
    "set alerts of its own"); a client that has them keeps them."""
    existing = AlertSettings.objects.filter(sub_account=sub_account).first()
    if existing is not None:
        return existing
    default = (AlertSettings.objects.filter(agency_id=sub_account.agency_id,
                                            sub_account__isnull=True).first())
    return alert_settings_put(
        agency=sub_account.agency, sub_account=sub_account,
        spend=[{"amount": a.amount.amount, "window": a.window}
               for a in (default.spend_alerts.all() if default else [])],
        low_balance=levels_of(default), actor=actor, actor_label=actor_label)


@transaction.atomic
def alert_settings_delete(*, sub_account, actor=None, actor_label: str = "") -> bool:
    """The client goes back to the agency's default. False when it had none of its own."""
    settings = AlertSettings.objects.select_for_update().filter(sub_account=sub_account).first()
    if settings is None:
        return False
    before = snapshot(settings)
    audit_record(action="alerts.cleared", obj=settings, actor=actor, actor_label=actor_label,
                 agency_id=settings.agency_id, before=before)
    settings.delete()
    agency_alerts_forget(sub_account.agency_id)
    return True


@transaction.atomic
def low_balance_levels_set(*, agency, sub_account=None, levels: list, actor=None,
                           actor_label: str = "") -> AlertSettings:
    cleaned = levels_clean(levels)
    settings = _settings_for(agency, sub_account)
    before = snapshot(settings)
    settings.low_balance_levels = [plain(level) for level in cleaned]
    settings.save(update_fields=["low_balance_levels", "updated_at"])
    _audit("alerts.set", settings, before, actor=actor, actor_label=actor_label)
    return settings


@transaction.atomic
def spend_alert_save(*, agency, sub_account=None, alert: SpendAlert | None = None, amount,
                     window: str, actor=None, actor_label: str = "") -> SpendAlert:
    """Add a spend alert to the agency's default or the client's own settings, or change
    `alert` (one of the caller's, found through tenancy)."""
    amount, window = spend_clean(amount, window)
    settings = _settings_for(agency, sub_account) if alert is None else (
        AlertSettings.objects.select_for_update().get(pk=alert.settings_id))
    before = snapshot(settings)
    if alert is None:
        _spend_alerts_check_count(settings, 1)
        alert = SpendAlert(settings=settings)
    alert.amount, alert.window = Money(amount, agency.currency), window
    alert.full_clean()
    alert.save()
    _audit("alerts.set", settings, before, actor=actor, actor_label=actor_label)
    return alert


@transaction.atomic
def spend_alert_delete(*, alert: SpendAlert, actor=None, actor_label: str = "") -> None:
    settings = AlertSettings.objects.select_for_update().get(pk=alert.settings_id)
    before = snapshot(settings)
    alert.delete()
    _audit("alerts.set", settings, before, actor=actor, actor_label=actor_label)
