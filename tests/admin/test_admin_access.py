"""No admin path changes or deletes a ledger entry; a non-staff user reaches no admin page;
and every admin page an operator opens renders (without N+1 queries on the busy lists)."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, reverse

from hoopbilling.admin import admin_url
from hoopbilling.models import AuditLog
from tests.admin.conftest import paid_topup, usage_charge
from tests.factories import (
    AgencyMembershipFactory,
    ClientMembershipFactory,
    EntryFactory,
    SubAccountFactory,
)
from wallets.ledger.models import Entry
from wallets.payments.models import SandboxCharge

pytestmark = pytest.mark.django_db

APPEND_ONLY = ["wallets_entry", "wallets_usagecharge", "hoopbilling_auditlog"]


def admin_url_names():
    """Every named URL of the admin site, with the names of its arguments."""
    def walk(patterns, params):
        for pattern in patterns:
            names = params | set(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, names)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern.name, sorted(names)
    return list(walk(admin.site.get_urls(), set()))


def sample_url(name, params, object_id="1"):
    values = {"object_id": object_id, "id": object_id, "app_label": "wallets",
              "content_type_id": 1, "url": "x", "action_name": "x", "model_name": "x"}
    return reverse(f"admin:{name}", kwargs={p: values[p] for p in params})


@pytest.fixture
def ledger():
    wallet, topup = paid_topup(amount="20.00")
    charge = usage_charge(sub_account=wallet.sub_account, amount="1.00")
    return {"entry": charge.entry, "charge": charge, "topup": topup,
            "audit": AuditLog.objects.first()}


def test_the_walk_covers_every_registered_model():
    names = {name for name, _ in admin_url_names()}
    for model in admin.site._registry:
        assert f"{model._meta.app_label}_{model._meta.model_name}_changelist" in names


@pytest.mark.parametrize("who", ["anonymous", "agency_admin", "client_user"])
def test_a_non_staff_user_reaches_no_admin_page(client, who):
    if who == "agency_admin":
        client.force_login(AgencyMembershipFactory().user)
    elif who == "client_user":
        client.force_login(ClientMembershipFactory().user)
    urls = [sample_url(name, params) for name, params in admin_url_names()
            if name != "login"]
    assert len(urls) > 80
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (method, url, response.status_code)
            # logging out sends everyone (signed in or not) back to the admin's index,
            # which itself sends them to the login page
            target = reverse("admin:index") if url == reverse("admin:logout") else \
                reverse("admin:login")
            assert response["Location"].startswith(target), url


@pytest.mark.parametrize("model", APPEND_ONLY)
def test_append_only_records_cannot_be_added_changed_or_deleted(ops, ledger, model):
    obj = {"wallets_entry": ledger["entry"], "wallets_usagecharge": ledger["charge"],
           "hoopbilling_auditlog": ledger["audit"]}[model]
    change = reverse(f"admin:{model}_change", args=[obj.pk])
    delete = reverse(f"admin:{model}_delete", args=[obj.pk])
    # the change page is a read-only view: no form to submit
    page = ops.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert ops.post(change, {"memo": "edited", "_save": "1"}).status_code == 403
    assert ops.get(delete).status_code == 403
    assert ops.post(delete, {"post": "yes"}).status_code == 403
    assert ops.get(reverse(f"admin:{model}_add")).status_code == 403
    # no bulk delete among the actions, and asking for it deletes nothing
    listing = ops.get(reverse(f"admin:{model}_changelist"))
    action_form = listing.context["action_form"]  # None when a list has no actions at all
    choices = [v for v, _ in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in choices
    ops.post(reverse(f"admin:{model}_changelist"),
             {"action": "delete_selected", "_selected_action": [str(obj.pk)], "post": "yes"})
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_no_admin_page_changes_an_entry_or_the_wallet_balance(ops, ledger):
    entry = ledger["entry"]
    wallet = entry.wallet
    before = list(Entry.objects.filter(wallet=wallet).values_list("pk", "amount", "hash"))
    # the wallet form has no balance or chain head fields: posting them changes nothing
    ops.post(reverse("admin:wallets_wallet_change", args=[wallet.pk]), {
        "balance_0": "999", "balance_1": "USD", "last_seq": "0", "enabled": "",
        "threshold": "0", "topup_amount": "0", "max_balance": "", "_save": "1"})
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("19.00")
    assert list(Entry.objects.filter(wallet=wallet).values_list("pk", "amount", "hash")) == before


def test_every_admin_page_renders_for_an_operator(ops, ledger):
    EntryFactory(amount=Decimal("3"))
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        listing = ops.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert listing.status_code == 200, opts.label
        obj = model_admin.get_queryset(listing.wsgi_request).first()
        if obj is not None:
            page = ops.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                   args=[quote(obj.pk)]))
            assert page.status_code == 200, opts.label
        if model_admin.has_add_permission(listing.wsgi_request):
            add = ops.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
            assert add.status_code == 200, opts.label


def test_a_key_that_looks_escaped_opens_its_own_page(ops):
    # the admin reads "_25" in a URL as "%": an unquoted "sbpi_25..." led to no page at all
    charge = SandboxCharge.objects.create(
        id="sbpi_25ca5f", idempotency_key="k", customer="cus", amount_minor=100,
        currency="USD", status="succeeded")
    page = ops.get(admin_url(charge))
    assert page.status_code == 200
    assert "sbpi_25ca5f" in page.content.decode()


@pytest.mark.parametrize("model", ["wallets_wallet", "wallets_entry", "wallets_usagecharge",
                                   "wallets_topup", "subaccounts_subaccount",
                                   "agencies_agency", "hoopbilling_auditlog"])
def test_busy_changelists_take_the_same_queries_for_one_row_or_many(ops, model):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert ops.get(reverse(f"admin:{model}_changelist")).status_code == 200
        return len(captured)

    paid_topup(amount="10.00")
    usage_charge(sub_account=SubAccountFactory(), amount="1.00")
    few = queries()
    for _ in range(4):
        _, topup = paid_topup(amount="10.00")
        usage_charge(sub_account=topup.sub_account, amount="1.00")
    assert queries() == few
