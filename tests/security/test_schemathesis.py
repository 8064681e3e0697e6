"""Schemathesis against `/api/v1/schema/`, through the WSGI app: generated requests to every
operation with the second tenant's API key (aimed at its own sub-account), no 5xx, and every
answer's status, content type, headers and body match the schema. Bounded: a few examples
per operation, no deadline, no shrinking."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from hoopbilling.wsgi import application

CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_headers_conformance,
          checks.response_schema_conformance]


# Generating the schema reads no table, so it is loaded once, at collection.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


# PostgreSQL: the tenants' closed periods leave append-only rows (statements, invoices), and
# a transactional test's flush deletes them row by row on SQLite, which its triggers refuse
# (PostgreSQL truncates).
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_answers_match_the_schema(case, intruder):
    if "id" in (case.path_parameters or {}):
        case.path_parameters["id"] = str(intruder.sub_account.pk)
    case.call_and_validate(headers={"Authorization": f"Bearer {intruder.api_key.raw_key}"},
                           checks=CHECKS)
