import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import Agency, AgencyMembership, ApiKey
from agencies.services import hash_api_key
from hoopbilling.models import AuditLog

pytestmark = pytest.mark.django_db


def test_create_agency_prints_one_json_line_with_agency_and_key(capsys):
    call_command("create_agency", "--name", "Acme", "--admin-email", "boss@acme.test",
                 "--admin-password", "s3cret-passw0rd", "--currency", "GBP")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    answer = json.loads(out[0])
    agency = Agency.objects.get(pk=answer["agency"])
    assert agency.currency == "GBP" and agency.plan_rebilling_allowed
    assert ApiKey.objects.get(agency=agency).key_hash == hash_api_key(answer["api_key"])
    membership = AgencyMembership.objects.get(agency=agency)
    assert membership.role == "admin" and membership.user.check_password("s3cret-passw0rd")
    assert AuditLog.objects.filter(action="agency.create", object_id=str(agency.pk)).exists()


def test_unknown_currency_is_refused_and_nothing_written():
    with pytest.raises(CommandError, match="currency"):
        call_command("create_agency", "--name", "Acme", "--admin-email", "a@acme.test",
                     "--currency", "XYZ")
    assert not Agency.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a" * 140 + "@example.test"])
def test_bad_email_is_refused(email):
    with pytest.raises(CommandError, match="admin_email"):
        call_command("create_agency", "--name", "Acme", "--admin-email", email)
    assert not Agency.objects.exists()


@pytest.mark.parametrize("name", ["x" * 201, "\u200b", "bad\udcff"])
def test_a_name_that_is_no_name_is_refused(name):
    with pytest.raises(CommandError, match="name"):
        call_command("create_agency", "--name", name, "--admin-email", "a@acme.test")
    assert not Agency.objects.exists()
