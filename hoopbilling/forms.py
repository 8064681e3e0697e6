"""Form fields shared by the pages, and how a page shows a service's refusal."""

import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from hoopbilling.errors import DomainError, InvalidInput
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


def domain_error_show(form: forms.Form, exc: DomainError, *, fallback: str | None = None,
                      aliases: dict | None = None) -> None:
    """Show a service's refusal on the field it names (through `aliases` where the form calls
    it otherwise), else on `fallback` (None: the form as a whole)."""
    field = (aliases or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else fallback, exc.message)
