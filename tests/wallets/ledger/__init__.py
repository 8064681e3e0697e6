"""Tests of `wallets.ledger`."""
