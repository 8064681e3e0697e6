"""Signals the agencies app owns, so higher apps can react without being imported here."""

from django.dispatch import Signal

# Sent inside the transaction that changed what its clients' credit limits rest on: the
# agency's default `credit_limit` or its rebilling switch (an operator's plan without
# rebilling turns it off); kwargs: agency. The ledger reviews the clients it stopped at their
# limit once this commits.
agency_credit_changed = Signal()
