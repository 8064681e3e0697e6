"""Tests of `wallets.payments`."""
