"""Tests of `wallets.billing`."""
