"""Form fields shared by the pages."""

import uuid

from django import forms
from django.core.exceptions import ValidationError

from hoopbilling.money import plain_decimal


class PlainDecimalField(forms.DecimalField):
    """A DecimalField that takes what people write for an amount ("12.50") and refuses what
    only Python's Decimal reads: "1e3" would charge a card 1,000, "１２" or "1_0" are typos."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and plain_decimal(value) is None:
            raise ValidationError("Enter a number such as 12.50.", code="invalid")
        return super().to_python(value)


class RequestTokenField(forms.UUIDField):
    """A hidden token that names one filling-in of a form, for services that make one object
    per token (a double submit, or the browser sending the POST again, then does the work
    once). Each rendering carries a new token, a form shown again after an error too; what
    was posted is what `cleaned_data` holds."""

    widget = forms.HiddenInput
    default_error_messages = {
        "required": "This form was out of date: check it and send it again.",
        "invalid": "This form was out of date: check it and send it again.",
    }

    def __init__(self, **kwargs):
        super().__init__(initial=uuid.uuid4, **kwargs)

    def bound_data(self, data, initial):
        return initial
