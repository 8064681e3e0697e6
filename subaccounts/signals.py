"""Signals the sub-accounts app owns, so higher apps can react without being imported here."""

from django.dispatch import Signal

# Sent inside the transaction that created the sub-account; kwargs: sub_account.
subaccount_created = Signal()
