"""API-key authentication: every API request acts for the one agency its key belongs to.

`ApiKeyAuthentication` is DRF's DEFAULT_AUTHENTICATION_CLASSES (hoopbilling/settings.py names
it), so every API view uses it. Kept apart from the API views because DRF imports the
authentication classes while `rest_framework.views` is still loading.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from agencies.models import Agency, ApiKey
from agencies.services import hash_api_key
from hoopbilling.db import model_columns, models_from_rows, prepared_cursor

# last_used_at is written at most this often per key, so the hot path stays read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiClient:
    """The caller behind an API key: acts for exactly one agency."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, key: ApiKey):
        self.key = key
        self.agency = key.agency

    def __str__(self):
        return f"api-key:{self.key.prefix}"


_KEY_FIELDS = ["id", "prefix", "last_used_at"]
# The agency without its Stripe key: kept encrypted, it is decrypted only where a payment needs
# it (a deferred field, loaded on first use), not on every API request.
_AGENCY_FIELDS = [field.attname for field in Agency._meta.concrete_fields
                  if field.attname != "stripe_restricted_key"]


def active_api_key(key_hash: str) -> ApiKey | None:
    """The active key of that hash with its agency: one prepared statement, as it runs on
    every API request (the ORM's compilation of the same join costs more than the query)."""
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {model_columns(ApiKey, 'k', _KEY_FIELDS)}, "
            f"{model_columns(Agency, 'a', _AGENCY_FIELDS)} FROM agencies_apikey k "
            "JOIN agencies_agency a ON a.id = k.agency_id "
            "WHERE k.key_hash = %s AND k.revoked_at IS NULL", [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    [key] = models_from_rows(ApiKey, [row[:len(_KEY_FIELDS)]], fields=_KEY_FIELDS)
    [key.agency] = models_from_rows(Agency, [row[len(_KEY_FIELDS):]], fields=_AGENCY_FIELDS)
    return key


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization: Bearer <api key>")
        raw_key = header[1].decode("latin-1")
        key = active_api_key(hash_api_key(raw_key))
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return ApiClient(key), key

    def authenticate_header(self, request):
        return "Bearer"
