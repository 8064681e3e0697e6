"""`subaccounts.tenancy`'s request-free scoping, used by the API and tasks."""

import uuid

import pytest

from hoopbilling.errors import NotFound
from subaccounts.tenancy import agency_subaccounts, subaccount_for_agency
from tests.factories import SubAccountFactory

pytestmark = pytest.mark.django_db


def test_agency_sees_only_its_own_clients():
    mine, theirs = SubAccountFactory(), SubAccountFactory()
    assert list(agency_subaccounts(mine.agency)) == [mine]
    assert subaccount_for_agency(mine.agency, str(mine.pk)) == mine
    with pytest.raises(NotFound) as refused:
        subaccount_for_agency(mine.agency, theirs.pk)
    assert refused.value.status == 404 and refused.value.field == "sub_account"


@pytest.mark.parametrize("pk", ["not-a-uuid", "", "\x00", str(uuid.uuid4()), 12])
def test_unknown_or_malformed_ids_are_not_found(pk):
    with pytest.raises(NotFound):
        subaccount_for_agency(SubAccountFactory().agency, pk)
