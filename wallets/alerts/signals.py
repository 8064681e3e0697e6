"""The signal alerts send when one fires, so the outbound webhooks (a later package) turn it
into an event without alerts importing them."""

from django.dispatch import Signal

# Sent inside the transaction that recorded a fired alert (its `FiredAlert` row, in-app
# notification and emails), once per alert: a receiver writes its own rows in the same
# transaction (a rollback undoes both) and does its outside work after the commit.
# kwargs: type ("wallet.low_balance" or "usage.spend_alert"), agency_id, sub_account_id,
# fired_alert (the FiredAlert) and data, the event's payload of plain JSON values:
#   wallet.low_balance: {"sub_account", "level", "balance", "currency", "crossing"}
#   usage.spend_alert:  {"sub_account", "amount", "window", "window_start", "total",
#                        "currency"}
alert_fired = Signal()
