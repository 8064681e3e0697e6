"""Forms of the wallets pages: the usage ledger's filters."""

from django import forms

from subaccounts.pricing.models import BillableItem
from wallets.billing.selectors import LedgerFilters
from wallets.ledger.models import Entry


class LedgerFilterForm(forms.Form):
    item = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(required=False,
                             choices=[("", "All kinds"), *Entry.Kind.choices])
    date_from = forms.DateField(required=False, label="From",
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To",
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "All items"), *BillableItem.objects.values_list(
            "code", "name")]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> LedgerFilters | None:
        """The filters, or None when the form is invalid: then nothing is listed or exported
        (rather than everything), and the errors say what to fix. Unbound: no filters."""
        if not self.is_bound:
            return LedgerFilters()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return LedgerFilters(item=data["item"], kind=data["kind"], date_from=data["date_from"],
                             date_to=data["date_to"])
