"""The REST API's shared parts: the error format and base views. Requests are authenticated
by API key (`agencies.api_auth`, DRF's default authentication in hoopbilling/settings.py).

Every error answers `{"error": {"code", "message", "fields"}}`
(docs/api.md#authentication-and-errors).
"""

from decimal import Decimal

from django.http import Http404
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hoopbilling.errors import DomainError, InvalidInput, error_body
from hoopbilling.money import DECIMAL_PLACES, bounded_decimal, decimal_input
from hoopbilling.outages import database_unavailable, is_database_unavailable


class AgencyApiView(APIView):
    """Base for agency endpoints: authenticated by API key (DRF's default authentication),
    scoped to `self.agency`."""

    permission_classes = [permissions.IsAuthenticated]

    @property
    def agency(self):
        return self.request.user.agency


class StrictSerializer(serializers.Serializer):
    """A request serializer that refuses fields it does not declare (400 naming each) instead
    of silently ignoring them: a misspelt field must never look accepted. Its decimal fields
    take plain decimal strings (or whole numbers) only: never a float, which has already lost
    the cents, nor what only Python's Decimal reads ("１２", "1e3"). Its boolean fields take
    true or false only (not "yes", 1 or "on")."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                if value is None or field.read_only:
                    continue
                if isinstance(field, serializers.DecimalField) and decimal_input(value) is None:
                    errors[name] = ['A decimal string such as "10.00".']
                elif isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
                    errors[name] = ["true or false."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    @classmethod
    def validated(cls, request) -> dict:
        """The request body's fields, or a 400 naming each bad one (no body reads as {})."""
        serializer = cls(data=request.data if request.data else {})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class BoundedDecimalField(serializers.DecimalField):
    """A decimal string held to the kernel's bounds (`hoopbilling.money.bounded_decimal`, the
    same check the forms and services make): too large, too small or too precise is refused
    saying which, with the limit, naming the field."""

    def __init__(self, *, maximum: Decimal, minimum: Decimal = Decimal(0),
                 places: int = DECIMAL_PLACES, what: str = "An amount", **kwargs):
        self.bounds = {"maximum": maximum, "minimum": minimum, "places": places, "what": what}
        super().__init__(max_digits=None, decimal_places=places, min_value=minimum,
                         max_value=maximum, **kwargs)

    def to_internal_value(self, data):
        value = decimal_input(data)
        if value is None:
            raise serializers.ValidationError('A decimal string such as "10.00".')
        try:
            return bounded_decimal(value, field=self.field_name, **self.bounds)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc


def _flatten(detail, prefix: str = "") -> dict:
    """DRF's nested error detail as {"field" or "parent.field": [messages]}."""
    flat = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                flat.update(_flatten(value, f"{name}."))
            else:
                flat[name] = [str(m) for m in (value if isinstance(value, list) else [value])]
    elif isinstance(detail, list) and prefix:
        flat[prefix.rstrip(".")] = [str(m) for m in detail]
    return flat


def exception_handler(exc, context):
    """Map every error to its shape and status (docs/api.md#authentication-and-errors)."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(error_body("not_found", "Not found."), status=404)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response = Response(error_body("unauthenticated", str(exc.detail)), status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(exc, exceptions.Throttled):
        response = Response(error_body("rate_limited", "Too many requests."), status=429)
        if exc.wait is not None:
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in fields.items())
        return Response(error_body("invalid", message or "Invalid request.", fields), status=400)
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return Response(error_body("invalid", str(exc.detail)), status=400)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Response(error_body("method_not_allowed", str(exc.detail)), status=405)
    if isinstance(exc, exceptions.PermissionDenied):
        return Response(error_body("forbidden", str(exc.detail)), status=403)
    if is_database_unavailable(exc):
        # 503 with Retry-After: nothing was written (every write is one transaction); the
        # client retries, with the same idempotency key for usage.
        return database_unavailable(context["request"], exc)
    return None
