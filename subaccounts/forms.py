"""Forms of a client's Billing settings page (agency side); its prices are
`subaccounts.pricing.forms.ClientPriceForm`."""

from django import forms


class ClientSettingsForm(forms.Form):
    rebilling_enabled = forms.BooleanField(
        required=False, label="Rebill this client for its usage")
    itemised_usage_visible = forms.BooleanField(
        required=False, label="Client sees itemised usage")
