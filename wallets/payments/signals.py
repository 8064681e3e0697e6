"""The signals payments sends for work to do after the commit: a top-up's attempt, an auto
top-up check, a gateway event to apply. Its services send them and never import the tasks
that do the work; `receivers` enqueues each task once the transaction commits."""

from django.dispatch import Signal

# Sent inside the transaction that made a top-up due for an attempt now (a request, or a new
# card for an unpaid one); kwargs: topup_id.
topup_due = Signal()

# Sent when a wallet with auto top-up on is found below its threshold (after a debit, a
# top-up that fell short or was called off, new settings): time for the auto top-up check;
# kwargs: wallet_id.
wallet_below_threshold = Signal()

# Sent inside the transaction that recorded a gateway event (a Stripe webhook) for the first
# time; kwargs: event_id.
payment_event_recorded = Signal()

# Sent inside the transaction that settled a top-up (its wallet credited), once per top-up;
# kwargs: topup (status succeeded, `entry` set), balance (Decimal, the wallet's after it).
# The outbound webhooks write `topup.succeeded` here.
topup_settled = Signal()

# Sent inside the transaction that recorded a declined attempt (or one that needs the client
# to authenticate), once per attempt; kwargs: topup, attempt (the TopUpAttempt), retries_left
# (False when this failure suspended the client), requires_action. The outbound webhooks
# write `topup.failed` here.
topup_failed = Signal()
