"""The REST API's shared parts: API-key authentication, the error format, base views.

Every error answers `{"error": {"code", "message", "fields"}}` (CONTRACT section 5).
"""

from django.http import Http404
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from .api_auth import ApiKeyAuthentication
from .errors import DomainError


class AgencyApiView(APIView):
    """Base for agency endpoints: authenticated by API key, scoped to `self.agency`."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @property
    def agency(self):
        return self.request.user.agency


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {key: [str(m) for m in (value if isinstance(value, list) else [value])]
                for key, value in detail.items()}
    return {}


def exception_handler(exc, context):
    """Map every error to the contract's shape and status."""
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
    return None
