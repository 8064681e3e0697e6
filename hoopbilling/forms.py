"""Form fields shared by the pages."""

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
