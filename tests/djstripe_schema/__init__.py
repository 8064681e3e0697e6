"""An empty migrations package for dj-stripe in throw-away test databases (see
tests/conftest.py: its tables are created from its models instead)."""
