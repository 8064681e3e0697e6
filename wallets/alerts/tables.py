"""The history of fired alerts, as a django-tables2 table (the agency's and one client's)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from wallets.alerts.models import FiredAlert
from wallets.alerts.services import plain


class FiredAlertTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i")
    client = tables.Column(accessor="sub_account__name")
    kind = tables.Column(verbose_name="Alert")
    threshold = tables.Column(verbose_name="Level or amount", attrs={"td": {"class": "num"}})
    value = tables.Column(verbose_name="Balance or spend", attrs={"td": {"class": "num"}})
    window_start = tables.Column(verbose_name="Window", empty_values=())

    class Meta:
        model = FiredAlert
        fields = ()
        orderable = False
        attrs = {"class": "table", "id": "fired-alerts"}
        empty_text = ("No alerts have fired yet. Spend alerts and low-balance levels show up "
                      "here when they do.")

    def render_client(self, record, value):
        return format_html('<a href="{}">{}</a>',
                           reverse("alerts:client", args=[record.sub_account_id]), value)

    def render_kind(self, record):
        return record.get_kind_display()

    def render_threshold(self, record):
        return f"{plain(record.threshold.amount)} {record.threshold.currency.code}"

    def render_value(self, record):
        return f"{plain(record.value.amount)} {record.value.currency.code}"

    def render_window_start(self, record):
        if not record.window:
            return "—"
        return f"{record.get_window_display()} from {record.window_start:%Y-%m-%d}"


CSV_HEADER = ["created_at", "client", "kind", "threshold", "value", "currency", "window",
              "window_start"]


def csv_row(alert: FiredAlert) -> list:
    return [alert.created_at.isoformat(), alert.sub_account.name, alert.kind,
            plain(alert.threshold.amount), plain(alert.value.amount),
            alert.value.currency.code, alert.window,
            alert.window_start.isoformat() if alert.window_start else ""]
