"""An endpoint's delivery log as a django-tables2 table, and the same rows as CSV."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from wallets.webhooks.models import WebhookDelivery


class DeliveryTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i:s")
    event = tables.Column(verbose_name="Event", accessor="event_id")
    type = tables.Column(verbose_name="Type", accessor="event__type")
    client = tables.Column(verbose_name="Client", accessor="sub_account__name",
                           default="—")
    status = tables.Column()
    attempts = tables.Column(attrs={"td": {"class": "num"}})
    last_status_code = tables.Column(verbose_name="Last answer", default="—")
    latency = tables.Column(verbose_name="Latency", empty_values=(),
                            attrs={"td": {"class": "num"}})
    next_attempt_at = tables.DateTimeColumn(verbose_name="Next attempt", format="Y-m-d H:i:s",
                                            default="—")

    class Meta:
        model = WebhookDelivery
        fields = ()
        orderable = False
        attrs = {"class": "table", "id": "deliveries"}
        row_attrs = {"data-status": lambda record: record.status}
        empty_text = ("No deliveries yet. Events this endpoint hears are listed here as they "
                      "happen; “Send test event” sends one now.")

    def render_event(self, record, value):
        return format_html('<a href="{}">{}</a>', reverse(
            "webhooks:delivery", args=[record.endpoint_id, record.pk]), value)

    def render_status(self, record):
        return record.get_status_display()

    def render_latency(self, record):
        latency = record.last_latency_ms
        return "—" if latency is None else f"{latency} ms"

    def render_next_attempt_at(self, record, value):
        if record.status != WebhookDelivery.Status.PENDING:
            return "—"
        return value.strftime("%Y-%m-%d %H:%M:%S")


CSV_HEADER = ["created_at", "event_id", "type", "client", "status", "attempts",
              "last_status_code", "latency_ms", "next_attempt_at", "last_error"]


def csv_row(delivery: WebhookDelivery) -> list:
    pending = delivery.status == WebhookDelivery.Status.PENDING
    return [delivery.created_at.isoformat(), delivery.event_id, delivery.event.type,
            delivery.sub_account.name if delivery.sub_account else "", delivery.status,
            delivery.attempts, delivery.last_status_code or "",
            "" if delivery.last_latency_ms is None else delivery.last_latency_ms,
            delivery.next_attempt_at.isoformat() if pending and delivery.next_attempt_at
            else "", delivery.last_error]
