"""The agency's list of its clients (django-tables2); a client's prices are
`subaccounts.pricing.tables.ClientPriceTable`."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html


class SubAccountTable(tables.Table):
    name = tables.Column(verbose_name="Client")
    external_id = tables.Column(verbose_name="External id")
    rebilling_enabled = tables.BooleanColumn(verbose_name="Rebilled")
    suspended_at = tables.Column(verbose_name="Status", empty_values=())
    billing = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "grid", "id": "subaccounts"}
        per_page = 25
        empty_text = ("No clients yet. Create sub-accounts through the API "
                      "(POST /api/v1/subaccounts) and they appear here.")

    def render_suspended_at(self, record):
        return f"Suspended: {record.suspension_note}" if record.suspended else "Active"

    def __init__(self, *args, is_admin: bool, **kwargs):
        self.is_admin = is_admin
        super().__init__(*args, **kwargs)

    def render_billing(self, record):
        links = format_html('<a href="{}">Billing settings</a> · <a href="{}">Ledger</a>',
                            reverse("subaccounts:billing", args=[record.pk]),
                            reverse("wallets:ledger", args=[record.pk]))
        if self.is_admin:
            links = format_html('{} · <a href="{}">Wallet</a>', links,
                                reverse("payments:agency-wallet", args=[record.pk]))
        return links
