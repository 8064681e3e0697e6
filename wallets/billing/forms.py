"""Forms of the wallets pages: the usage ledger's filters and its page cursor, bounded as
every edge bounds them (`hoopbilling.parsers`: dates a page can add a day to, a cursor that
is a sequence number)."""

from django import forms
from django.core.exceptions import ValidationError

from hoopbilling.errors import InvalidInput
from hoopbilling.parsers import day_in_range, seq_cursor
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
        self.before: int | None = None  # the page's cursor: entries older than this seq

    def _day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None:
            try:
                day_in_range(day, field=name)
            except InvalidInput as exc:
                raise ValidationError(exc.message) from exc
        return day

    def clean_date_from(self):
        return self._day("date_from")

    def clean_date_to(self):
        return self._day("date_to")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        before = self.data.get("before")
        if before is not None:
            try:
                self.before = seq_cursor(before, field="before")
            except InvalidInput:
                self.add_error(None, "That page of the ledger does not exist: start again "
                                     "from the newest entries.")
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
