"""Forms of a client's Billing settings page (agency side)."""

from django import forms

from agencies.forms import price_fields
from agencies.price_rules import PriceRow

INHERIT, OVERRIDE = "inherit", "override"


class ClientSettingsForm(forms.Form):
    rebilling_enabled = forms.BooleanField(
        required=False, label="Rebill this client for its usage")
    itemised_usage_visible = forms.BooleanField(
        required=False, label="Client sees itemised usage")


class ClientPriceForm(forms.Form):
    """The client's grid in one form: per item, inherit the agency price or override it."""

    def __init__(self, *args, rows: list[PriceRow], agency_rows: dict[str, PriceRow],
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.agency_rows = agency_rows
        for row in rows:
            code = row.item.code
            self.fields[f"mode_{code}"] = forms.ChoiceField(
                choices=[(INHERIT, "Agency price"), (OVERRIDE, "Own price")],
                initial=OVERRIDE if row.source == OVERRIDE else INHERIT,
                label=f"{row.item.name} price source")
            if row.source == OVERRIDE:  # static/js/confirm.js asks before ending it
                self.fields[f"mode_{code}"].widget.attrs["data-confirm-change"] = (
                    f"End this client's own price for {row.item.name}? It pays the agency "
                    "price from the moment you save.")
            price_fields(self, row, prefix="")

    def bound_rows(self):
        for row in self.rows:
            code = row.item.code
            yield (row, self.agency_rows[code], self[f"mode_{code}"], self[f"price_{code}"],
                   self[f"tiers_{code}"], self[f"subsidize_{code}"])
