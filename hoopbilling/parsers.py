"""The API's JSON parser: DRF's, plus refusals every endpoint needs, so no view has to repeat
them (and none can forget):

- text with a NUL character or an unpaired UTF-16 surrogate (`"\\ud800"`) anywhere in the
  body is refused with the field that carries it (PostgreSQL cannot store either, and they
  are never meant);
- a body nested too deeply for the parser answers 400 instead of crashing.
Right-to-left and other Unicode text is kept as sent.
"""

import re

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_field(value, path: str) -> str | None:
    """The dotted path of the first string (or key) that cannot be stored, or None."""
    if isinstance(value, str):
        return (path or "body") if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, inner in value.items():
            inner_path = f"{path}.{key}" if path else str(key)
            if _UNSTORABLE.search(str(key)):
                return path or "body"
            found = _unstorable_field(inner, inner_path)
            if found:
                return found
    if isinstance(value, list):
        for index, inner in enumerate(value):
            found = _unstorable_field(inner, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        field = _unstorable_field(data, "")
        if field:
            raise exceptions.ValidationError(
                {field: ["Text may not contain NUL characters or unpaired surrogates."]})
        return data
