"""Tests of `wallets.usage`."""
