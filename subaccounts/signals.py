"""Signals the sub-accounts app owns, so higher apps can react without being imported here."""

from django.dispatch import Signal

# Sent inside the transaction that created the sub-account; kwargs: sub_account.
subaccount_created = Signal()

# Sent inside the transaction that suspended the sub-account; kwargs: sub_account (its
# `suspension_reason`, `suspension_note` and `suspension_items` set), actor_label.
subaccount_suspended = Signal()

# Sent inside the transaction that lifted the suspension; kwargs: sub_account, reason (the
# `suspension_reason` code it had), suspended_at (when that suspension began), actor_label.
subaccount_lifted = Signal()

# Sent inside the transaction that changed what the client's credit limit rests on: its own
# `credit_limit` or its rebilling switch; kwargs: sub_account. (The agency's side of it is
# `agencies.signals.agency_credit_changed`.)
subaccount_credit_changed = Signal()
