"""Forms of the price pages: the agency's grid, a client's prices, the rebilling switch and
the bulk markup. They collect input; the rules live in `subaccounts.pricing.rules` and the
writes in the services (a grid form's `save` calls them), whose errors land on the right
field."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.db import transaction

from hoopbilling.errors import InvalidInput
from hoopbilling.forms import PlainDecimalField
from subaccounts.pricing.rules import PriceRow, tiers_from_text
from subaccounts.pricing.services import price_clear, price_set

INHERIT, OVERRIDE = "inherit", "override"


class RebillingForm(forms.Form):
    rebilling_enabled = forms.BooleanField(
        required=False, label="Rebill my clients for their usage (SaaS mode)")


def price_fields(form: forms.Form, row: PriceRow, *, prefix: str) -> None:
    """Add the price, tiers and subsidy fields of one grid row to `form`."""
    code = row.item.code
    form.fields[f"{prefix}price_{code}"] = forms.CharField(
        required=False, label=f"{row.item.name} price",
        initial="" if row.price is None else f"{row.price.normalize():f}",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
    form.fields[f"{prefix}tiers_{code}"] = forms.CharField(
        required=False, label=f"{row.item.name} tiers", initial=row.tiers_text,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 18,
                                     "placeholder": "10000: 0.0100\n*: 0.0090"}))
    form.fields[f"{prefix}subsidize_{code}"] = forms.BooleanField(
        required=False, label="Subsidise", initial=row.subsidized)


def price_input(form: forms.Form, code: str, *, prefix: str = "") -> dict:
    """The service keyword arguments a row of `form` asks for: tiers when the tiers box is
    filled, a flat price otherwise."""
    data = form.cleaned_data
    tiers_text = data[f"{prefix}tiers_{code}"].strip()
    subsidize = data[f"{prefix}subsidize_{code}"]
    if tiers_text:
        return {"tiers": tiers_from_text(tiers_text, field="tiers"), "subsidize": subsidize}
    return {"price": data[f"{prefix}price_{code}"].strip(), "subsidize": subsidize}


def _tier_key(tiers) -> list[tuple]:
    return [(None if t["up_to"] is None else Decimal(t["up_to"]), Decimal(t["price"]))
            for t in tiers]


def same_price(row: PriceRow, wanted: dict) -> bool:
    """Whether `wanted` is what `row` already charges (so saving the form leaves it alone)."""
    try:
        if "tiers" in wanted:
            return row.tiers is not None and _tier_key(row.tiers) == _tier_key(wanted["tiers"])
        return row.tiers is None and Decimal(wanted["price"]) == row.price
    except (InvalidOperation, TypeError, KeyError):
        return False


def field_for_error(exc: InvalidInput, code: str, *, prefix: str = "") -> str | None:
    """The form field an error from the rules belongs to."""
    field = exc.field or ""
    if field.startswith("tiers"):
        return f"{prefix}tiers_{code}"
    if field == "subsidize":
        return f"{prefix}subsidize_{code}"
    if field in ("price", "currency", "item"):
        return f"{prefix}price_{code}"
    return None


class PriceListForm(forms.Form):
    """A price grid in one form, for the agency's price list (`sub_account` None) or one
    client's: per row a flat price or tiers and the subsidy box. `save` writes what changed."""

    def __init__(self, *args, rows: list[PriceRow], agency, sub_account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows, self.agency, self.sub_account = rows, agency, sub_account
        for row in rows:
            self.row_fields(row)

    def row_fields(self, row: PriceRow) -> None:
        price_fields(self, row, prefix="")

    def wanted(self, row: PriceRow) -> dict | None:
        """The `price_set` arguments a row asks for; None: the agency price (a client's)."""
        return price_input(self, row.item.code)

    def save(self, *, actor) -> list[str] | None:
        """Save every changed row (`price_set`, or `price_clear` for a client row back on the
        agency price), all or nothing. The names saved, or None after errors: each on its
        field, every row checked so the form shows them all."""
        changed, failed = [], False
        with transaction.atomic():
            for row in self.rows:
                try:
                    saved = self._row_save(row, actor=actor)
                except InvalidInput as exc:
                    self.add_error(field_for_error(exc, row.item.code), exc.message)
                    failed = True
                else:
                    changed += [saved] if saved else []
            if failed:
                transaction.set_rollback(True)
        return None if failed else changed

    def _row_save(self, row: PriceRow, *, actor) -> str | None:
        wanted = self.wanted(row)
        if wanted is None:
            if row.source != OVERRIDE:
                return None
            price_clear(sub_account=self.sub_account, item=row.item, actor=actor)
            return f"{row.item.name} (agency price)"
        # A client row that inherits becomes its own price even at the same amount.
        if (self.sub_account is None or row.source == OVERRIDE) and same_price(row, wanted):
            return None
        price_set(agency=self.agency, sub_account=self.sub_account, item=row.item, actor=actor,
                  **wanted)
        return row.item.name


class PriceGridForm(PriceListForm):
    """Every row of the agency's grid in one form."""

    def bound_rows(self):
        for row in self.rows:
            code = row.item.code
            yield row, self[f"price_{code}"], self[f"tiers_{code}"], self[f"subsidize_{code}"]


class ClientPriceForm(PriceListForm):
    """The client's grid in one form: per item, inherit the agency price or override it."""

    def __init__(self, *args, sub_account, agency_rows: dict[str, PriceRow], **kwargs):
        self.agency_rows = agency_rows
        super().__init__(*args, agency=sub_account.agency, sub_account=sub_account, **kwargs)

    def row_fields(self, row: PriceRow) -> None:
        code = row.item.code
        self.fields[f"mode_{code}"] = forms.ChoiceField(
            choices=[(INHERIT, "Agency price"), (OVERRIDE, "Own price")],
            initial=OVERRIDE if row.source == OVERRIDE else INHERIT,
            label=f"{row.item.name} price source")
        if row.source == OVERRIDE:  # static/js/confirm.js asks before ending it
            self.fields[f"mode_{code}"].widget.attrs["data-confirm-change"] = (
                f"End this client's own price for {row.item.name}? It pays the agency "
                "price from the moment you save.")
        super().row_fields(row)

    def wanted(self, row: PriceRow) -> dict | None:
        if self.cleaned_data[f"mode_{row.item.code}"] != OVERRIDE:
            return None
        return super().wanted(row)

    def bound_rows(self):
        for row in self.rows:
            code = row.item.code
            yield (row, self.agency_rows[code], self[f"mode_{code}"], self[f"price_{code}"],
                   self[f"tiers_{code}"], self[f"subsidize_{code}"])


class BulkMarkupForm(forms.Form):
    multiplier = PlainDecimalField(
        label="Set every price to base cost ×", maximum=Decimal(1000), decimal_places=4,
        initial=2, widget=forms.NumberInput(attrs={"step": "0.01"}))
    subsidize = forms.BooleanField(
        required=False, label="Allow prices below the base cost (× less than 1: a subsidy)")
