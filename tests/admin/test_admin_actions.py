"""Admin actions through Django's test client as an operator: each posts a new entry (or
suspends, lifts, retries, verifies) and the ledger still verifies."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from agencies.services import api_key_revoke
from hoopbilling.models import AuditLog
from subaccounts.models import SubAccount
from subaccounts.services import payment_method_set
from tests.admin.conftest import paid_topup, usage_charge
from tests.factories import (
    ApiKeyFactory,
    EntryFactory,
    SubAccountFactory,
    UserFactory,
    wallet_with_card,
)
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry
from wallets.payments.topups import topup_attempt, topup_request

pytestmark = pytest.mark.django_db


def changelist(model):
    return reverse(f"admin:{model}_changelist")


def run_action(client, model, action, ids, **form):
    """The first POST shows the intermediate page; with `apply` it runs the action."""
    data = {"action": action, "_selected_action": [str(i) for i in ids], **form}
    return client.post(changelist(model), data)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_ledger_verifies():
    checks = ledger_verify()
    assert all(check.ok for check in checks), [c.problems for c in checks]


def test_credit_action_asks_for_a_reason_then_posts_an_adjustment(ops, operator):
    wallet = SubAccountFactory().wallet
    # when: the action asks first
    page = run_action(ops, "wallets_wallet", "credit", [wallet.pk])
    assert page.status_code == 200 and b'name="reason"' in page.content
    token = page.context["token"]
    # a missing reason is refused on the page, nothing posted
    refused = run_action(ops, "wallets_wallet", "credit", [wallet.pk], apply="1",
                         amount="10", reason="", token=token)
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert not Entry.objects.filter(wallet=wallet).exists()
    # then with a reason
    done = run_action(ops, "wallets_wallet", "credit", [wallet.pk], apply="1", amount="10.50",
                      reason="compensation for outage", token=token)
    assert done.status_code == 302
    run_action(ops, "wallets_wallet", "credit", [wallet.pk], apply="1", amount="10.50",
               reason="compensation for outage", token=token)  # double submit
    wallet.refresh_from_db()
    [entry] = Entry.objects.filter(wallet=wallet)
    assert wallet.balance.amount == Decimal("10.50")
    assert (entry.kind, entry.amount.amount, entry.actor_label) == (
        "adjustment", Decimal("10.50"), operator.email)
    audit = AuditLog.objects.get(action="wallet.adjust")
    assert audit.actor == operator and audit.reason == "compensation for outage"
    assert_ledger_verifies()


def test_reverse_action_on_usage_charges_posts_one_reversal_and_refuses_a_second(ops):
    sub_account = SubAccountFactory()
    charge = usage_charge(sub_account=sub_account, amount="2.00")
    absorbed = usage_charge(sub_account=sub_account, billed_to="agency")
    # when
    response = run_action(ops, "wallets_usagecharge", "reverse", [charge.pk, absorbed.pk],
                          apply="1", reason="duplicate event")
    again = run_action(ops, "wallets_usagecharge", "reverse", [charge.pk], apply="1",
                       reason="again")
    # then
    sub_account.wallet.refresh_from_db()
    assert sub_account.wallet.balance.amount == Decimal("0")
    [reversal] = Entry.objects.filter(kind="reversal")
    assert reversal.corrects_id == charge.entry_id
    assert reversal.amount.amount == Decimal("2.00")
    assert any("nothing in the wallet to reverse" in m for m in messages_of(response))
    assert any("already reversed" in m for m in messages_of(again))
    assert AuditLog.objects.filter(action="usage.reverse").count() == 1
    assert_ledger_verifies()


def test_reverse_action_on_ledger_entries(ops):
    charge = usage_charge(sub_account=SubAccountFactory(), amount="0.75")
    run_action(ops, "wallets_entry", "reverse_usage", [charge.entry_id], apply="1",
               reason="test message")
    assert Entry.objects.get(kind="reversal").amount.amount == Decimal("0.75")


def test_refund_action_refunds_what_is_left_of_the_topup_through_the_gateway(ops):
    wallet, topup = paid_topup(amount="30.00")
    token = str(uuid.uuid4())
    # when: the form is sent twice with its one token
    for _ in range(2):
        response = run_action(ops, "wallets_topup", "refund", [topup.pk], apply="1",
                              amount="", reason="client cancelled", token=token)
    # then
    assert response.status_code == 302
    wallet.refresh_from_db()
    [refund] = Entry.objects.filter(kind="refund")
    assert refund.amount.amount == Decimal("-30.00") and wallet.balance.amount == 0
    assert refund.corrects_id == topup.entry_id
    again = run_action(ops, "wallets_topup", "refund", [topup.pk], apply="1", amount="1",
                       reason="again", token=str(uuid.uuid4()))
    assert any("already refunded" in m for m in messages_of(again))
    assert Entry.objects.filter(kind="refund").count() == 1
    assert_ledger_verifies()


def test_suspend_and_lift_actions_need_a_reason_and_are_audited(ops, operator):
    sub_account = SubAccountFactory()
    refused = run_action(ops, "subaccounts_subaccount", "suspend", [sub_account.pk],
                         apply="1", reason="")
    assert refused.status_code == 200
    assert not SubAccount.objects.get(pk=sub_account.pk).suspended
    run_action(ops, "subaccounts_subaccount", "suspend", [sub_account.pk], apply="1",
               reason="fraud review")
    sub_account.refresh_from_db()
    assert sub_account.suspended and sub_account.suspension_reason == "agency"
    assert sub_account.suspension_note == "fraud review"
    run_action(ops, "subaccounts_subaccount", "lift", [sub_account.pk], apply="1",
               reason="review passed")
    sub_account.refresh_from_db()
    assert not sub_account.suspended
    suspend = AuditLog.objects.get(action="subaccount.suspend")
    lift = AuditLog.objects.get(action="subaccount.lift")
    assert (suspend.actor, suspend.reason, suspend.after) == (
        operator, "fraud review", {"reason": "agency", "items": []})
    assert (lift.actor, lift.reason) == (operator, "review passed")


def test_revoking_keys_asks_for_a_reason_and_counts_only_live_keys(ops, operator):
    live, already = ApiKeyFactory(), ApiKeyFactory()
    api_key_revoke(key=already)
    page = run_action(ops, "agencies_apikey", "revoke", [live.pk, already.pk])
    assert page.status_code == 200 and "Revoke API keys" in page.content.decode()
    live.refresh_from_db()
    assert live.revoked_at is None  # nothing happens before the confirmation
    done = run_action(ops, "agencies_apikey", "revoke", [live.pk, already.pk], apply="1",
                      reason="leaked in a public repository")
    live.refresh_from_db()
    assert live.revoked_at is not None
    assert "1 key(s) revoked." in messages_of(done)
    log = AuditLog.objects.get(action="api_key.revoke", object_id__endswith=str(live.pk))
    assert (log.actor, log.reason) == (operator, "leaked in a public repository")
    again = run_action(ops, "agencies_apikey", "revoke", [already.pk])
    assert "The selected keys are already revoked." in messages_of(again)


def test_retry_now_action_charges_a_declined_topup_again(ops):
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail")
    topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("15"),
                          enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "retrying"
    sub_account = wallet.sub_account
    payment_method_set(sub_account=sub_account, gateway="sandbox",
                       customer_id=sub_account.payment_customer_id,
                       payment_method_id="pm_card_visa", brand="visa", last4="4242")
    # when
    response = run_action(ops, "wallets_topup", "retry_now", [topup.pk])
    # then
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("15")
    assert any("Succeeded" in m for m in messages_of(response))
    assert AuditLog.objects.filter(action="topup.retry_now").count() == 1
    assert_ledger_verifies()


def test_verify_action_reports_each_wallet(ops):
    wallet = EntryFactory(amount=Decimal("5")).wallet
    response = run_action(ops, "wallets_wallet", "verify", [wallet.pk])
    assert any(f"Wallet {wallet.pk}: 1 entries, balance and hash chain verified" in m
               for m in messages_of(response))


@pytest.mark.postgres
def test_verify_action_names_a_wallet_whose_entry_was_changed_behind_our_back(ops):
    wallet = EntryFactory(amount=Decimal("5")).wallet
    with connection.cursor() as cursor:  # tampering, rolled back with the test
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cursor.execute("UPDATE wallets_entry SET hash = repeat('a', 64) WHERE wallet_id = %s",
                       [wallet.pk])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    response = run_action(ops, "wallets_wallet", "verify", [wallet.pk])
    assert any(f"Wallet {wallet.pk} DRIFTS" in m and "hash does not match" in m
               for m in messages_of(response))


def test_corrections_need_the_add_entry_permission(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_wallet", "change_wallet"]))
    client.force_login(staff)
    wallet = SubAccountFactory().wallet
    page = client.get(changelist("wallets_wallet"))
    actions = [value for value, _ in page.context["action_form"].fields["action"].choices]
    assert "credit" not in actions and "verify" in actions
    run_action(client, "wallets_wallet", "credit", [wallet.pk], apply="1", amount="5",
               reason="x", token="t")
    assert not Entry.objects.filter(wallet=wallet).exists()
