"""Reads of alerts: the settings in effect for a client (its own, else the agency's default),
the clients the sweep evaluates, and the history of fired alerts.

`agency_has_alerts` answers the usage path's question "could this usage fire an alert?"
from a per-process memory that is at most `CONFIGURED_TTL` seconds old, so recording usage
for an agency without alerts costs no query and no Redis round trip; a setting saved in
another process is seen within that time, and the billing jobs' sweep evaluates every client
with alerts meanwhile."""

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, QuerySet

from subaccounts.models import SubAccount
from wallets.alerts.models import AlertSettings, FiredAlert, LowBalanceState, SpendAlert
from wallets.ledger.models import Wallet

CONFIGURED_TTL = 60.0
_configured: dict = {}


@dataclass
class EffectiveAlerts:
    """What applies to one client: its own settings, else the agency's default, else
    (nothing configured) the wallet's auto top-up threshold as its one low-balance level
    while auto top-up is off, the warning clients had before alerts existed."""

    spend: list[SpendAlert] = field(default_factory=list)
    levels: list[Decimal] = field(default_factory=list)


def levels_of(settings: AlertSettings | None) -> list[Decimal]:
    return [Decimal(level) for level in settings.low_balance_levels] if settings else []


def agency_default(agency) -> AlertSettings | None:
    return (AlertSettings.objects.prefetch_related("spend_alerts")
            .filter(agency=agency, sub_account__isnull=True).first())


def client_own(sub_account) -> AlertSettings | None:
    return (AlertSettings.objects.prefetch_related("spend_alerts")
            .filter(sub_account=sub_account).first())


def effective_alerts(sub_accounts: list[SubAccount]) -> dict:
    """{sub-account id: EffectiveAlerts} in two queries (settings, their spend alerts).
    Each sub-account needs its `wallet` loaded for the default level."""
    agency_ids = {s.agency_id for s in sub_accounts}
    rows = list(AlertSettings.objects.prefetch_related("spend_alerts").filter(
        Q(sub_account__in=[s.pk for s in sub_accounts])
        | Q(agency_id__in=agency_ids, sub_account__isnull=True)))
    own = {row.sub_account_id: row for row in rows if row.sub_account_id}
    defaults = {row.agency_id: row for row in rows if not row.sub_account_id}
    found = {}
    for sub in sub_accounts:
        settings = own.get(sub.pk) or defaults.get(sub.agency_id)
        if settings is None:
            wallet = sub.wallet
            levels = ([] if wallet.auto_topup_enabled
                      else [wallet.auto_topup_threshold.amount])
            found[sub.pk] = EffectiveAlerts(levels=levels)
        else:
            found[sub.pk] = EffectiveAlerts(spend=list(settings.spend_alerts.all()),
                                            levels=levels_of(settings))
    return found


def agency_has_alerts(agency_id) -> bool:
    """Whether the agency has alert settings (its default or a client's), as this process
    last read it at most CONFIGURED_TTL seconds ago."""
    now = time.monotonic()
    known = _configured.get(agency_id)
    if known is not None and known[0] > now:
        return known[1]
    value = AlertSettings.objects.filter(agency_id=agency_id).exists()
    _configured[agency_id] = (now + CONFIGURED_TTL, value)
    return value


def agency_alerts_forget(agency_id) -> None:
    """The settings changed: this process reads them again next time."""
    _configured.pop(agency_id, None)


def sweep_candidates() -> set:
    """The clients the billing jobs evaluate: every client with alert settings in effect,
    every wallet below its threshold with auto top-up off (the default level), and every
    client below one of its levels (whose recovery re-arms it)."""
    with_defaults = AlertSettings.objects.filter(sub_account__isnull=True).values("agency_id")
    ids = set(SubAccount.objects.filter(Q(agency_id__in=with_defaults)
                                        | Q(alert_settings__isnull=False))
              .values_list("pk", flat=True))
    ids |= set(Wallet.objects.filter(auto_topup_enabled=False,
                                     balance__lt=F("auto_topup_threshold"))
               .values_list("sub_account_id", flat=True))
    ids |= set(LowBalanceState.objects.filter(below=True)
               .values_list("sub_account_id", flat=True).distinct())
    return ids


def fired_alerts(agency, sub_account=None) -> QuerySet:
    rows = FiredAlert.objects.filter(agency=agency).select_related("sub_account")
    return rows.filter(sub_account=sub_account) if sub_account is not None else rows
