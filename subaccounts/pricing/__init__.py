"""Pricing: an agency's price list, for every client or for one (docs/api.md#pricing).

Everything about prices lives here: the catalog and the price tables (`models`), the rules a
price obeys (`rules`), the one resolver (`book`), the writers (`services`), the reads
(`selectors`), the agency's price pages (`views`, `forms`, `tables`, `urls`), the price API
(`apis`, `api_urls`) and the operators' admin of costs and prices (`admin`).

It sits inside the `subaccounts` app, the lowest layer that knows both an agency and its
clients, and imports nothing else of that app: `subaccounts.models` imports this package's
models for Django to register them, so the client pages, suspension rules and admin around
it use pricing, never the reverse (import-linter checks it: pyproject.toml).
"""
