"""Alerts: spend alerts and low-balance levels (the agency's default or a client's own), fired
once per window and per crossing after usage or a debit and by the billing jobs' sweep; their
pages, API and history, and `signals.alert_fired` for the outbound webhooks."""
