"""The agency's API keys page: list, issue once, revoke with confirmation, admins only."""

import pytest

from agencies.models import AgencyMembership, ApiKey
from agencies.services import hash_api_key
from tests.factories import AgencyMembershipFactory, ApiKeyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    membership = AgencyMembershipFactory()
    client.force_login(membership.user)
    client.agency = membership.agency
    return client


def test_keys_page_lists_the_agencys_keys_only(admin_client):
    mine = ApiKeyFactory(agency=admin_client.agency, name="Production sender")
    theirs = ApiKeyFactory(name="Someone else's")
    page = admin_client.get("/agency/keys/").content.decode()
    assert mine.prefix in page and "Production sender" in page
    assert theirs.prefix not in page and "never" in page


def test_empty_state_invites_to_issue_a_key(admin_client):
    assert "No API keys yet" in admin_client.get("/agency/keys/").content.decode()


def test_issued_key_is_shown_once_and_works(admin_client):
    response = admin_client.post("/agency/keys/new", {"name": "Sender"}, follow=True)
    page = response.content.decode()
    key = ApiKey.objects.get(agency=admin_client.agency, name="Sender")
    raw = page.split('<code class="secret">')[1].split("</code>")[0]
    assert hash_api_key(raw) == key.key_hash
    assert "shown once" in page
    assert raw not in admin_client.get("/agency/keys/").content.decode()


def test_revoke_asks_for_confirmation_then_revokes(admin_client):
    key = ApiKeyFactory(agency=admin_client.agency)
    confirm = admin_client.get(f"/agency/keys/{key.pk}/revoke")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    response = admin_client.post(f"/agency/keys/{key.pk}/revoke", follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "revoked" in response.content.decode()


def test_another_agencys_key_is_404(admin_client):
    theirs = ApiKeyFactory()
    assert admin_client.get(f"/agency/keys/{theirs.pk}/revoke").status_code == 404
    assert admin_client.post(f"/agency/keys/{theirs.pk}/revoke").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_staff_and_strangers_cannot_see_the_page(client):
    staff = AgencyMembershipFactory(role=AgencyMembership.Role.STAFF)
    client.force_login(staff.user)
    assert client.get("/agency/keys/").status_code == 404
    client.logout()
    assert client.get("/agency/keys/").status_code == 302


@pytest.mark.parametrize("name", ["a\x00b", "x" * 101, "\u200b"])
def test_a_key_name_that_is_no_name_issues_no_key(admin_client, name):
    before = ApiKey.objects.count()
    response = admin_client.post("/agency/keys/new", {"name": name}, follow=True)
    assert "Key name: A name has" in response.content.decode()
    assert ApiKey.objects.count() == before
