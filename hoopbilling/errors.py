"""Typed domain errors. Each carries a stable code and, where one is to blame, the field.

They are mapped once to API errors, form errors and admin messages. The API's error body
(`error_body`) and the path under which answers take that shape (`API_PREFIX`) are here, so
the middleware and handlers that answer outside a view (`hoopbilling.outages`,
`hoopbilling.security`, `hoopbilling.views`) share them with `hoopbilling.api`.
"""

API_PREFIX = "/api/"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]} if self.field else {}


class InvalidInput(DomainError):
    code = "invalid"


class NotFound(DomainError):
    code = "not_found"
    status = 404


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
