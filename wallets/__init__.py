"""Prepaid wallets and what moves money in and out of them, one package per capability:
`ledger` (wallets and their entries), `usage` (metering and charging usage), `payments`
(top-ups, cards, gateways), `billing` (periods, invoices, statements, the billing pages) and
`demo` (the demo agency). docs/architecture.md describes each."""
