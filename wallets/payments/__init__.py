"""Payments: top-ups charged to the client's card through a gateway (Stripe or the sandbox),
auto top-up, retries and suspension, Stripe webhooks, the agency's notifications."""
