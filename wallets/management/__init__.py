"""The wallets app's management commands (`commands/`)."""
