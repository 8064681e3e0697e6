"""The OpenAPI schema's shared parts (drf-spectacular), so every API view, including ones
added later, is described without warnings:

- `ApiKeyScheme`: the `Authorization: Bearer <api key>` security scheme.
- `HoopAutoSchema`: operation ids from the path (unique per path and method); every operation
  documents the API's error answers (`{"error": {"code", "message", "fields"}}` with
  400/401/402/403/404/409/413/429, docs/api.md#authentication-and-errors); a plain `APIView`
  without a serializer or `@extend_schema` is documented as answering free-form JSON instead
  of failing the schema check. Annotate a view with
  `@extend_schema(request=..., responses=...)` to describe its bodies precisely.
"""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

ERROR_STATUSES = ("400", "401", "402", "403", "404", "409", "413", "429")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="snake_case, e.g. invalid, not_found, rate_limited")
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="messages per field that is to blame")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An agency API key: `Authorization: Bearer <key>`."}


def _declares_serializer(view) -> bool:
    return any(callable(getattr(view, name, None))
               for name in ("get_serializer", "get_serializer_class")) or hasattr(
        view, "serializer_class")


class HoopAutoSchema(AutoSchema):
    def get_operation_id(self):
        tokens = [t for t in re.split(r"[^A-Za-z0-9]+", self.path.removeprefix("/api/v1/")) if t]
        return "_".join([*tokens, self.method.lower()])

    def get_request_serializer(self):
        if not _declares_serializer(self.view):
            return OpenApiTypes.OBJECT if self.method in ("POST", "PUT", "PATCH") else None
        return super().get_request_serializer()

    def get_response_serializers(self):
        if not _declares_serializer(self.view):
            codes = (200, 201) if self.method == "POST" else (200,)
            return {code: OpenApiTypes.ANY for code in codes}
        return super().get_response_serializers()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.path.rstrip("/").endswith("/schema"):
            return responses
        for status in ERROR_STATUSES:
            responses.setdefault(status, self._get_response_for_code(
                ErrorSerializer, status, direction=direction))
        return responses
