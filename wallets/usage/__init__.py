"""Usage: events cleaned and measured, priced, recorded as charges that debit the client's
wallet (or that the agency absorbs), rolled up by day; the reversal of a charge."""
