"""The ledger: wallets, their append-only entries, and `services.ledger_transaction`, the one
way to change a balance."""
