"""Tests of `wallets.demo`."""
