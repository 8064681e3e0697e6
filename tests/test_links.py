"""Every link a tenant's user is shown leads somewhere that user may go: each role's pages
are crawled from the home page, and every page they link to answers 200 (a link to a page
the role is refused, such as an admin-only page shown to agency staff, is a dead end)."""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tests.security.conftest import tenant_create

pytestmark = pytest.mark.django_db

ROLES = ("agency_admin", "agency_staff", "client_admin", "client_admin_no_billing",
         "client_user")
HREF = re.compile(r'href="([^"#]*)"')
# Not pages of the product: the operators' admin, the API and its schema, Django's auth
# views (logout is a POST), static files.
OUTSIDE = ("/admin/", "/api/", "/accounts/", "/static/", "/stripe/")
MAX_PAGES = 150


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def crawl(client: Client, start: str) -> dict[str, tuple[int, str]]:
    """Each internal URL reached from `start`: its status and the page that linked it."""
    seen = {start: (None, "")}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        seen[url] = (response.status_code, seen[url][1])
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        for href in HREF.findall(response.content.decode()):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or parts.path.startswith(OUTSIDE):
                continue
            if target not in seen:
                seen[target] = (None, url)
                queue.append(target)
    return seen


@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_role_is_shown_answers(role):
    tenant = tenant_create("Own", usage=True)
    client = Client()
    client.force_login(tenant.users[role])
    pages = crawl(client, "/")
    dead = {url: (status, linked_from) for url, (status, linked_from) in pages.items()
            if status != 200}
    assert not dead, dead
    assert len(pages) > 1  # the crawl got past the home page
