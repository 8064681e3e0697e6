"""What a name typed by a person may be."""

import unicodedata

from .errors import InvalidInput

# Spaces and the invisible characters people paste around names (zero-width space, BOM…).
_INVISIBLE = {"Zs", "Cf"}


def _visible(text: str) -> str:
    start, end = 0, len(text)
    while start < end and (text[start].isspace()
                           or unicodedata.category(text[start]) in _INVISIBLE):
        start += 1
    while end > start and (text[end - 1].isspace()
                           or unicodedata.category(text[end - 1]) in _INVISIBLE):
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
