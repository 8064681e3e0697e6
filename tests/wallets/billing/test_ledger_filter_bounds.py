"""The usage ledger page and its CSV exports take only dates and cursors they can use: one out
of range is a form error (a 400 for an export), said before anything is streamed."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    AgencyMembershipFactory,
    ClientMembershipFactory,
    EntryFactory,
    SubAccountFactory,
)
from wallets.ledger.models import Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub_account(client):
    membership = AgencyMembershipFactory()
    client.force_login(membership.user)
    sub_account = SubAccountFactory(agency=membership.agency)
    EntryFactory(wallet=Wallet.objects.get(sub_account=sub_account), kind="topup",
                 amount=Decimal("10"))
    return sub_account


@pytest.mark.parametrize(("field", "day"), [("date_to", "9999-12-31"),
                                            ("date_from", "0001-01-01"),
                                            ("date_from", "1999-12-31"),
                                            ("date_to", "2100-01-01")])
def test_a_filter_date_out_of_range_is_a_form_error(client, sub_account, field, day):
    page = client.get(reverse("wallets:ledger", args=[sub_account.pk]), {field: day})
    assert page.status_code == 200
    assert page.context["form"].errors[field]
    assert not list(page.context["table"].rows)
    export = client.get(reverse("wallets:ledger-csv", args=[sub_account.pk]), {field: day})
    assert export.status_code == 400
    assert f"{field}: " in export.content.decode()


@pytest.mark.parametrize("cursor", ["²", "٣", "-1", "9" * 30, "1" * 5000, "0"])
def test_a_cursor_that_is_not_ours_is_a_form_error(client, sub_account, cursor):
    page = client.get(reverse("wallets:ledger", args=[sub_account.pk]), {"before": cursor})
    assert page.status_code == 200
    assert "That page of the ledger does not exist" in page.content.decode()
    assert not list(page.context["table"].rows)


def test_the_widest_dates_in_range_list_and_export_everything(client, sub_account):
    widest = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
    page = client.get(reverse("wallets:ledger", args=[sub_account.pk]), widest)
    assert len(list(page.context["table"].rows)) == 1
    export = client.get(reverse("wallets:ledger-csv", args=[sub_account.pk]), widest)
    assert export.status_code == 200
    assert len(b"".join(export.streaming_content).decode().strip().splitlines()) == 2


def test_the_clients_usage_export_refuses_a_date_out_of_range(client):
    membership = ClientMembershipFactory(can_manage_billing=True)
    sub_account = membership.sub_account
    SubAccountFactory._meta.model.objects.filter(pk=sub_account.pk).update(
        itemised_usage_visible=True)
    client.force_login(membership.user)
    export = client.get(reverse("wallets:client-usage-csv", args=[sub_account.pk]),
                        {"date_to": "9999-12-31"})
    assert export.status_code == 400
    assert "date_to: " in export.content.decode()
