"""Two tenants for the security tests. The first (`victim`) owns the objects every URL is
aimed at; the second (`intruder`) supplies the callers: its agency admin and staff, its
client admin (with and without billing permission) and client user, and its API key."""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from agencies.models import AgencyMembership
from agencies.periods import period_bounds
from subaccounts.models import ClientMembership
from subaccounts.pricing.models import BillableItem
from subaccounts.pricing.services import price_set
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    ApiKeyFactory,
    ClientMembershipFactory,
    EntryFactory,
    UserFactory,
    wallet_with_card,
)
from wallets.alerts.services import alert_settings_put
from wallets.billing.invoicing import period_close
from wallets.billing.models import BillingPeriod, Invoice
from wallets.payments.models import Notification, TopUp
from wallets.payments.notifications import notification_send
from wallets.payments.topups import topup_request
from wallets.usage.services import usage_record_batch
from wallets.webhooks.services import webhook_endpoint_create, webhook_test_event

# Tables whose whole content is hashed before and after (money and tenancy); every other
# table is compared by row count.
KEY_TABLES = ("wallets_wallet", "wallets_entry", "subaccounts_subaccount",
              "subaccounts_priceoverride", "agencies_agency", "agencies_agencyprice",
              "subaccounts_clientmembership", "agencies_agencymembership",
              "wallets_webhookendpoint")
# The first tenant's own price and usage: figures that would show through a sum, a price
# grid or an export that forgot to filter by agency (the second tenant has neither).
MARKER_PRICE, MARKER_QUANTITY = "4.321987", 10
MARKER_FIGURES = (MARKER_PRICE, "43.22", "43.21987")
# Written by merely calling: sessions by logging in, API keys' last_used_at.
VOLATILE_TABLES = {"django_session", "agencies_apikey"}


@dataclass
class Tenant:
    agency: object
    sub_account: object
    users: dict = field(default_factory=dict)  # role -> user
    api_key: object = None
    topup: object = None
    invoice: object = None
    webhook_endpoint: object = None
    webhook_delivery: object = None


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Ten users per test: the production hasher's cost is not what these tests measure.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def tenant_create(label: str, *, topup: bool = True, usage: bool = False) -> Tenant:
    agency = AgencyFactory(name=f"{label} Agency")
    wallet = wallet_with_card(agency=agency, balance=Decimal("25.00"))
    sub_account = wallet.sub_account
    sub_account.name = f"{label} Client"
    sub_account.save(update_fields=["name"])
    EntryFactory(wallet=wallet, kind="adjustment", amount=Decimal("-3.50"))
    tenant = Tenant(agency=agency, sub_account=sub_account, api_key=ApiKeyFactory(agency=agency))
    for role in (AgencyMembership.Role.ADMIN, AgencyMembership.Role.STAFF):
        user = UserFactory(username=f"{label.lower()}-agency-{role}@example.com")
        AgencyMembershipFactory(agency=agency, user=user, role=role)
        tenant.users[f"agency_{role}"] = user
    for role, billing in (("client_admin", True), ("client_admin_no_billing", False),
                          ("client_user", False)):
        user = UserFactory(username=f"{label.lower()}-{role.replace('_', '-')}@example.com")
        ClientMembershipFactory(
            sub_account=sub_account, user=user, can_manage_billing=billing,
            role=ClientMembership.Role.USER if role == "client_user"
            else ClientMembership.Role.ADMIN)
        tenant.users[role] = user
    price_set(sub_account=sub_account, item=BillableItem.objects.get(code="sms_outbound"),
                 price="0.05", subsidize=True, actor_label="test")
    if usage:
        price_set(agency=agency, item=BillableItem.objects.get(code="mms_outbound"),
                  price=MARKER_PRICE, actor_label="test")
        usage_record_batch(agency=agency, events=[
            {"sub_account": str(sub_account.pk), "item": "mms_outbound", "quantity": "1",
             "idempotency_key": f"marker-{n}"} for n in range(MARKER_QUANTITY)])
        notification_send(agency=agency, sub_account=sub_account,
                          kind=Notification.Kind.PAYMENT_FAILED,
                          message=f"{sub_account.name}: a notification of its own",
                          dedupe_key=f"marker:{sub_account.pk}", email_agency=False)
    # alerts: the agency's default and the client's own, each with a spend alert
    alert_settings_put(agency=agency, spend=[{"amount": "5", "window": "day"}],
                       low_balance=["1"])
    alert_settings_put(agency=agency, sub_account=sub_account,
                       spend=[{"amount": "7", "window": "week"}], low_balance=[])
    # an outbound webhook endpoint (a public address: no DNS needed), so the invoice below
    # writes an event and a delivery to it
    tenant.webhook_endpoint, _ = webhook_endpoint_create(
        agency=agency, url="https://93.184.216.34/hooks", events=["*"])
    if topup:
        tenant.topup = topup_request(wallet_id=wallet.pk, trigger=TopUp.Trigger.MANUAL,
                                     amount=Decimal("20.00"), enqueue=False)
    # an issued invoice: the client's current period, closed as of its end
    start, end = period_bounds(anchor_day=agency.billing_anchor_day, moment=timezone.now())
    period = BillingPeriod.objects.create(agency=agency, start=start, end=end)
    period_close(period=period, now=end)
    tenant.invoice = Invoice.objects.get(sub_account=sub_account)
    # a delivery in the webhook endpoint's log for the pages' routes (its test event)
    tenant.webhook_delivery = webhook_test_event(endpoint=tenant.webhook_endpoint)
    return tenant


@pytest.fixture
def victim(db) -> Tenant:
    return tenant_create("Victim", usage=True)


@pytest.fixture
def intruder(db) -> Tenant:
    # no top-up in flight: the bad-input tests start one with a valid body
    return tenant_create("Intruder", topup=False)


def database_snapshot() -> dict:
    """Row count of every table, and a digest of every row of the key tables."""
    snapshot = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in VOLATILE_TABLES:
                continue
            quoted = connection.ops.quote_name(table)
            if table in KEY_TABLES:
                cursor.execute(f"SELECT * FROM {quoted}")
                rows = sorted(repr(row) for row in cursor.fetchall())
                snapshot[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
            else:
                cursor.execute(f"SELECT COUNT(*) FROM {quoted}")
                snapshot[table] = cursor.fetchone()[0]
    return snapshot
