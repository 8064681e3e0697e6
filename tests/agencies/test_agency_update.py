import pytest

from agencies.services import agency_update
from hoopbilling.errors import InvalidInput
from hoopbilling.models import AuditLog
from subaccounts.services import subaccount_update
from tests.factories import AgencyFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_agency_settings_change_is_audited():
    agency = AgencyFactory()
    actor = UserFactory()
    agency_update(agency=agency, actor=actor, changes={
        "rebilling_enabled": False, "retry_schedule_hours": [0, 2, 12]})
    agency.refresh_from_db()
    assert agency.rebilling_enabled is False and agency.retry_schedule_hours == [0, 2, 12]
    log = AuditLog.objects.get(action="agency.update")
    assert log.actor == actor and log.before["rebilling_enabled"] is True


def test_rebilling_cannot_be_switched_on_when_the_plan_forbids_it():
    agency = AgencyFactory(plan_rebilling_allowed=False, rebilling_enabled=False)
    with pytest.raises(InvalidInput) as excinfo:
        agency_update(agency=agency, changes={"rebilling_enabled": True})
    assert excinfo.value.field == "rebilling_enabled"
    agency.refresh_from_db()
    assert agency.rebilling_enabled is False


@pytest.mark.parametrize("schedule", [[], [-1], ["soon"], [True], [1] * 11, 5, [1000],
                                      ["1e2"], ["１"], ["1_0"], [0.125], [float("nan")]])
def test_bad_retry_schedules_are_refused(schedule):
    agency = AgencyFactory()
    with pytest.raises(InvalidInput) as excinfo:
        agency_update(agency=agency, changes={"retry_schedule_hours": schedule})
    assert excinfo.value.field == "retry_schedule_hours"


def test_subaccount_toggles_and_bad_input():
    sub_account = SubAccountFactory()
    subaccount_update(sub_account=sub_account,
                      changes={"itemised_usage_visible": False, "name": " New "})
    sub_account.refresh_from_db()
    assert sub_account.itemised_usage_visible is False and sub_account.name == "New"
    with pytest.raises(InvalidInput) as excinfo:
        subaccount_update(sub_account=sub_account, changes={"rebilling_enabled": "yes"})
    assert excinfo.value.field == "rebilling_enabled"
    with pytest.raises(InvalidInput) as excinfo:
        subaccount_update(sub_account=sub_account, changes={"suspended": True})
    assert excinfo.value.field == "suspended"


def test_a_retry_schedule_takes_numbers_as_json_writes_them():
    agency = AgencyFactory()
    agency_update(agency=agency, changes={"retry_schedule_hours": [0, 1.5, " 6 ", "24.25"]})
    agency.refresh_from_db()
    assert agency.retry_schedule_hours == [0, "1.5", 6, "24.25"]


@pytest.mark.parametrize("name", ["\u200b", " \ufeff ", "a\x00b", "x" * 201, 7])
def test_a_name_is_visible_text_without_control_characters(name):
    agency, sub_account = AgencyFactory(name="Before"), SubAccountFactory(name="Before")
    with pytest.raises(InvalidInput) as excinfo:
        agency_update(agency=agency, changes={"name": name})
    assert excinfo.value.field == "name"
    with pytest.raises(InvalidInput):
        subaccount_update(sub_account=sub_account, changes={"name": name})
    agency.refresh_from_db()
    sub_account.refresh_from_db()
    assert agency.name == sub_account.name == "Before"
