"""What a name typed by a person may be."""

import unicodedata

from hoopbilling.errors import InvalidInput

# Spaces and the invisible characters people paste around names (zero-width space, BOM…).
_INVISIBLE = {"Zs", "Cf"}


def _blank(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _INVISIBLE


def _visible(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return text[start:end]


def clean_name(value, *, field: str = "name", max_length: int = 200) -> str:
    """`value` without surrounding spaces and invisible characters; InvalidInput naming
    `field` when that leaves nothing, is too long, or holds a control character."""
    name = _visible(value) if isinstance(value, str) else ""
    if not name or len(name) > max_length:
        raise InvalidInput(f"A name has 1 to {max_length} visible characters.", field=field)
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in name):
        raise InvalidInput("A name has no control characters.", field=field)
    return name
