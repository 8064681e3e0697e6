"""The alert settings forms: one spend alert, and the low-balance levels as one line of
amounts ("50, 20, 5"). The services check the amounts again and name the field they refuse."""

from decimal import Decimal

from django import forms

from hoopbilling.forms import PlainDecimalField
from hoopbilling.money import AMOUNT_MAX, plain_decimal
from wallets.alerts.models import SpendAlert


class SpendAlertForm(forms.Form):
    amount = PlainDecimalField(maximum=AMOUNT_MAX, decimal_places=6, min_value=Decimal("0.000001"),
                               help_text="Rebilled usage charged to the client's wallet.")
    window = forms.ChoiceField(choices=SpendAlert.Window.choices, label="Window",
                               help_text="A UTC day, a week from Monday, or the billing period.")


class LowBalanceLevelsForm(forms.Form):
    low_balance = forms.CharField(
        label="Low-balance levels", required=False, max_length=500,
        help_text="Amounts separated by commas, e.g. 50, 20, 5. Empty: no low-balance alerts.")

    def clean_low_balance(self) -> list[str]:
        values = [part.strip() for part in self.cleaned_data["low_balance"].split(",")]
        values = [value for value in values if value]
        for value in values:
            if plain_decimal(value) is None:
                raise forms.ValidationError(f"“{value}” is not an amount such as 20.00.")
        return values
