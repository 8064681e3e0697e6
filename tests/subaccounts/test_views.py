"""Sub-accounts: the agency's list of its clients (its Billing settings pages: pricing/)."""

import pytest

from tests.factories import AgencyMembershipFactory, SubAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    membership = AgencyMembershipFactory()
    client.force_login(membership.user)
    return membership


def test_subaccount_list_and_csv(client, admin):
    SubAccountFactory(agency=admin.agency, name="Acme Dental")
    SubAccountFactory(name="Someone Else's")
    html = client.get("/agency/clients/").content.decode()
    assert "Acme Dental" in html and "Someone Else" not in html
    csv_text = client.get("/agency/clients/?export=csv").content.decode()
    assert "Acme Dental" in csv_text and "Someone Else" not in csv_text
