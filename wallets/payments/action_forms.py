"""The forms of the agency's actions on a client (`action_views`), shown in the Actions
section of the client's wallet page. Each carries a one-time token (`RequestTokenField`): the
action's idempotency key, so a form sent twice acts once."""

from django import forms

from hoopbilling.forms import PlainDecimalField, RequestTokenField
from hoopbilling.money import AMOUNT_MAX, CENT
from subaccounts.pricing.models import BillableItem


class CreditForm(forms.Form):
    amount = PlainDecimalField(maximum=AMOUNT_MAX, min_value=CENT, decimal_places=2)
    reason = forms.CharField(max_length=255, help_text="Shown to the client with the credit.")
    token = RequestTokenField()


class RefundForm(forms.Form):
    amount = PlainDecimalField(maximum=AMOUNT_MAX, min_value=CENT, decimal_places=2)
    reason = forms.CharField(max_length=255)
    token = RequestTokenField()


class SuspendForm(forms.Form):
    items = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: the agency's default (messaging and calling unless changed in "
                  "Settings > Payments).")
    reason = forms.CharField(max_length=255)
    token = RequestTokenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(i.code, i.name) for i in BillableItem.objects.all()]


class CardLinkForm(forms.Form):
    email = forms.BooleanField(required=False, label="Email it to the client's billing admins")
    token = RequestTokenField()


class TokenForm(forms.Form):
    """An action with nothing to fill in (retry, resume): only its one-time token."""

    token = RequestTokenField()


def action_forms() -> dict:
    """The Actions section's forms for the wallet page, each with a new token."""
    return {"credit_form": CreditForm(), "suspend_form": SuspendForm(),
            "card_link_form": CardLinkForm(), "resume_form": TokenForm()}
