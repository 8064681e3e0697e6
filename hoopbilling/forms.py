"""Form fields shared by the pages."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from hoopbilling.errors import InvalidInput
from hoopbilling.money import bounded_decimal, plain_decimal


class PlainDecimalField(forms.DecimalField):
    """A DecimalField that takes what people write for an amount ("12.50") and refuses what
    only Python's Decimal reads: "1e3" would charge a card 1,000, "１２" or "1_0" are typos.
    It is held to `maximum` (one of the kernel's bounds, `hoopbilling.money`) by the check the
    API and the services make (`bounded_decimal`): too large says so, with the maximum."""

    def __init__(self, *, maximum: Decimal, min_value=0, decimal_places: int, **kwargs):
        self.maximum = maximum
        super().__init__(max_value=maximum, min_value=min_value, max_digits=None,
                         decimal_places=decimal_places, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and plain_decimal(value) is None:
            raise ValidationError("Enter a number such as 12.50.", code="invalid")
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return bounded_decimal(value, field="", maximum=self.maximum,
                                   minimum=Decimal(self.min_value),
                                   places=self.decimal_places, what="The amount")
        except InvalidInput as exc:
            raise ValidationError(exc.message, code="invalid") from exc
