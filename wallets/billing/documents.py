"""An issued invoice as data (API), CSV rows and a PDF (fpdf2: pure Python, no system
libraries). All three read the stored invoice and lines only, so they never disagree."""

import io

from fpdf import FPDF

from hoopbilling.exports import SafeCsvWriter
from wallets.billing.models import Invoice, InvoiceLine


def _line_dict(line: InvoiceLine) -> dict:
    data = {"item": line.item_id, "quantity": f"{line.quantity.normalize():f}",
            "amount": f"{line.amount}"}
    if line.tiers is None:
        data["unit_price"] = f"{line.unit_price.normalize():f}"
    else:
        data["tiers"] = line.tiers
    return data


def invoice_data(invoice: Invoice, lines: list[InvoiceLine]) -> dict:
    """The invoice of docs/api.md#invoices: amounts as strings, totals in whole cents."""
    return {
        "id": str(invoice.pk),
        "number": invoice.number,
        "sub_account": str(invoice.sub_account_id),
        "period_start": invoice.period_start.isoformat(),
        "period_end": invoice.period_end.isoformat(),
        "currency": invoice.currency,
        "opening_balance": f"{invoice.opening_balance}",
        "closing_balance": f"{invoice.closing_balance}",
        "usage_total": f"{invoice.usage_total}",
        "topups_total": f"{invoice.topups_total}",
        "credits_total": f"{invoice.credits_total}",
        "refunds_total": f"{invoice.refunds_total}",
        "other_total": f"{invoice.other_total}",
        "issued_at": invoice.issued_at.isoformat(),
        "lines": [_line_dict(line) for line in lines],
    }


def _price_text(line: InvoiceLine) -> str:
    per = line.item.price_per
    suffix = f" / {per:,}" if per != 1 else ""
    if line.tiers is None:
        return f"{line.unit_price.normalize():f}{suffix}"
    return "; ".join(
        f"{tier['quantity']} @ {tier['price']}{suffix}"
        f" (up to {tier['up_to']})" if tier["up_to"] else f"{tier['quantity']} @ {tier['price']}"
        f"{suffix}" for tier in line.tiers)


def invoice_csv(invoice: Invoice, lines: list[InvoiceLine]) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(["invoice", invoice.display_number])
    writer.writerow(["client", invoice.sub_account.name])
    writer.writerow(["period_start", invoice.period_start.date().isoformat()])
    writer.writerow(["period_end", invoice.period_end.date().isoformat()])
    writer.writerow(["currency", invoice.currency])
    writer.writerow([])
    writer.writerow(["item", "quantity", "unit_price", "tiers", "amount"])
    for line in lines:
        tiers = "" if line.tiers is None else _price_text(line)
        unit_price = "" if line.unit_price is None else f"{line.unit_price.normalize():f}"
        writer.writerow([line.item_id, f"{line.quantity.normalize():f}", unit_price, tiers,
                         f"{line.amount}"])
    writer.writerow([])
    for label, value in [("opening_balance", invoice.opening_balance),
                         ("topups_total", invoice.topups_total),
                         ("credits_total", invoice.credits_total),
                         ("refunds_total", invoice.refunds_total),
                         ("usage_total", invoice.usage_total),
                         ("other_total", invoice.other_total),
                         ("closing_balance", invoice.closing_balance)]:
        writer.writerow([label, f"{value}"])
    return out.getvalue()


def _latin(text: str) -> str:
    # The core PDF fonts are Latin-1; anything else is replaced rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def invoice_pdf(invoice: Invoice, lines: list[InvoiceLine]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {invoice.display_number}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Invoice {invoice.display_number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for text in (f"From: {invoice.agency.name}", f"To: {invoice.sub_account.name}",
                 f"Period: {invoice.period_start:%Y-%m-%d} - {invoice.period_last_day:%Y-%m-%d}",
                 f"Issued: {invoice.issued_at:%Y-%m-%d}", f"Currency: {invoice.currency}"):
        pdf.cell(0, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (60, 30, 70, 30)
    pdf.set_font("Helvetica", "B", 10)
    for width, title in zip(widths, ("Item", "Quantity", "Price", "Amount"), strict=True):
        pdf.cell(width, 7, title, border="B", align="R" if title != "Item" else "L")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for line in lines:
        cells = (line.item.name, f"{line.quantity.normalize():f}", _price_text(line),
                 f"{line.amount}")
        for width, text, align in zip(widths, cells, "LRRR", strict=True):
            pdf.cell(width, 6, _latin(text), align=align)
        pdf.ln()
    if not lines:
        pdf.cell(0, 6, "No usage in this period.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=10)
    for label, value in (("Opening balance", invoice.opening_balance),
                         ("Top-ups received", invoice.topups_total),
                         ("Credits from your agency", invoice.credits_total),
                         ("Refunded to your card", invoice.refunds_total),
                         ("Usage", invoice.usage_total),
                         ("Other movements", invoice.other_total),
                         ("Closing balance", invoice.closing_balance)):
        pdf.cell(160, 6, label, align="R")
        pdf.cell(30, 6, f"{value} {invoice.currency}", align="R", new_x="LMARGIN",
                 new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(160, 8, "Total usage", align="R")
    pdf.cell(30, 8, f"{invoice.usage_total} {invoice.currency}", align="R")
    return bytes(pdf.output())
