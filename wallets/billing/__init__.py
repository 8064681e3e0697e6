"""Billing: periods, invoices and the agency's statement, the billing jobs, the billing pages
and API, and the admin pages that draw on every capability."""
