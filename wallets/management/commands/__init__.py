"""`verify_ledger`, `run_billing_jobs`, `stripe_webhook_setup`, `seed_demo`,
`simulate_usage` (docs/api.md#commands)."""
