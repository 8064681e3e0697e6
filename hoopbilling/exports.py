"""CSV downloads of the pages' tables, and the one writer every CSV we produce goes through.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (and some also
after a leading tab or carriage return), so a client named `=HYPERLINK(...)` would become a
live link in the agency's spreadsheet. Every cell is written through `csv_cell`, which follows
OWASP's rule for CSV injection (prefix such a cell with a single quote) with one deliberate
refinement: a cell that is a plain decimal number (`-12.50`, a negative amount) is left as it
is, so amounts stay numbers in a spreadsheet. A plain number is never a formula.
"""

import csv
import re

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def csv_cell(value) -> str:
    """`value` as the text of a CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """A `csv.writer` whose every cell goes through `csv_cell`."""

    def __init__(self, file):
        self._writer = csv.writer(file)

    def writerow(self, row):
        return self._writer.writerow([csv_cell(value) for value in row])


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(filename: str):
    """A response that downloads as `filename`, and a safe csv writer into it."""
    response = _attachment(HttpResponse(content_type="text/csv"), filename)
    return response, SafeCsvWriter(response)


class _Echo:
    """A file whose write hands the line back, so rows can be streamed as they are made."""

    def write(self, value):
        return value


def csv_stream(filename: str, rows) -> StreamingHttpResponse:
    """A streamed download of `rows` (an iterable of lists, the header first)."""
    writer = SafeCsvWriter(_Echo())
    return _attachment(StreamingHttpResponse((writer.writerow(row) for row in rows),
                                             content_type="text/csv"), filename)
