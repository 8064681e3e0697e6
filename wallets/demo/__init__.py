"""The demo agency, recorded through the real services (`seed_demo`, `simulate_usage`)."""
