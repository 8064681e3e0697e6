"""The ledger's front door, `ledger_transaction`: every writer goes through it, each leaves the
audit row it should (and only that), the cached balance is the last entry's, it runs only as
a transaction of its own, and it announces debits after the commit."""

from decimal import Decimal

import pytest
from django.db import transaction
from moneyed import Money

from hoopbilling.models import AuditLog
from tests.factories import UserFactory, WalletFactory, wallet_with_card
from wallets.ledger.corrections import wallet_credit
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import Posting
from wallets.ledger.services import Audit, ledger_transaction
from wallets.ledger.signals import wallet_debited
from wallets.payments.corrections import topup_refund
from wallets.payments.topups import topup_attempt, topup_request
from wallets.usage.corrections import usage_reverse
from wallets.usage.services import usage_record

pytestmark = pytest.mark.django_db


def head_is_last_entry(wallet: Wallet) -> bool:
    wallet.refresh_from_db()
    last = Entry.objects.filter(wallet=wallet).order_by("-seq").first()
    return (wallet.balance, wallet.last_seq, wallet.last_hash) == (
        last.balance_after, last.seq, last.hash)


def audit_actions_of(step) -> list[str]:
    seen = set(AuditLog.objects.values_list("pk", flat=True))
    step()
    return list(AuditLog.objects.exclude(pk__in=seen).values_list("action", flat=True))


def test_each_writer_leaves_its_audit_row_and_a_cached_balance_equal_to_the_last_entry():
    operator = UserFactory(is_staff=True)
    wallet = wallet_with_card()
    sub_account = wallet.sub_account
    topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount="50.00",
                          enqueue=False)
    usage = {}

    def settle():
        topup_attempt(topup_id=topup.pk)

    def usage_batch():
        usage["result"] = usage_record(agency=sub_account.agency, event={
            "sub_account": str(sub_account.pk), "item": "sms_outbound",
            "idempotency_key": "k1", "quantity": "3"})

    def credit():
        wallet_credit(wallet_id=wallet.pk, amount=Decimal("-2.50"), reason="fee",
                      token="t1", actor=operator)

    def reversal():
        usage_reverse(entry_id=usage["result"].row["entry_id"], reason="carrier error",
                      actor=operator)

    def refund():
        topup_refund(topup_id=topup.pk, amount=Decimal("10.00"), reason="goodwill",
                     actor=operator)

    for step, actions in [(settle, []), (usage_batch, []), (credit, ["wallet.adjust"]),
                          (reversal, ["usage.reverse"]), (refund, ["topup.refund"])]:
        assert audit_actions_of(step) == actions, step.__name__
        assert head_is_last_entry(wallet), step.__name__
    assert wallet.balance == Money("37.500000", "USD")
    adjust = AuditLog.objects.get(action="wallet.adjust")
    entry = Entry.objects.get(kind="adjustment")
    assert adjust.before == {"balance": "49.976300"}
    assert adjust.after == {"balance": "47.476300", "amount": "-2.50", "entry": entry.pk}
    assert adjust.agency_id == sub_account.agency_id and adjust.actor == operator
    assert [check for check in ledger_verify() if not check.ok] == []


def test_a_replayed_posting_writes_no_second_audit_row():
    wallet = WalletFactory()
    for _ in range(2):
        wallet_credit(wallet_id=wallet.pk, amount=Decimal("5"), reason="goodwill", token="t")
    assert AuditLog.objects.filter(action="wallet.adjust").count() == 1


def test_it_refuses_to_run_inside_an_outer_transaction():
    wallet = WalletFactory()
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="durable"):
            wallet_credit(wallet_id=wallet.pk, amount=Decimal("5"), reason="x", token="t")
        with pytest.raises(RuntimeError, match="durable"), \
                ledger_transaction(wallet_ids=[wallet.pk]):
            pass
    assert not Entry.objects.filter(wallet=wallet).exists()


def test_it_posts_only_to_the_wallets_it_locked_and_only_inside_its_block():
    mine, other = WalletFactory(), WalletFactory()
    posting = Posting(kind="adjustment", amount=Decimal("1"), currency="USD",
                      idempotency_key="k")
    with ledger_transaction(wallet_ids=[mine.pk]) as ledger, \
            pytest.raises(ValueError, match="not locked"):
        ledger.post({other.pk: [posting]})
    with pytest.raises(RuntimeError, match="inside"):
        ledger.post({mine.pk: [posting]})
    with ledger_transaction(wallet_ids=[mine.pk]) as ledger, \
            pytest.raises(ValueError, match="one entry"):
        ledger.post({mine.pk: [posting, posting]},
                    audit=Audit(action="wallet.adjust", obj=mine, reason="x"))
    assert not Entry.objects.exists()


def test_a_debit_below_the_threshold_is_announced_after_the_commit_and_a_rollback_announces_none(
        django_capture_on_commit_callbacks):
    wallet = WalletFactory()
    Wallet.objects.filter(pk=wallet.pk).update(auto_topup_threshold=Money(10, "USD"))
    heard = []
    wallet_debited.connect(lambda sender, wallet_id, balance, **kw: heard.append(
        (wallet_id, balance)), weak=False, dispatch_uid="test-front-door")

    def debit(key, amount="-1"):
        return {wallet.pk: [Posting(kind="adjustment", amount=Decimal(amount),
                                    currency="USD", idempotency_key=key)]}

    try:
        with django_capture_on_commit_callbacks(execute=True):
            with ledger_transaction(wallet_ids=[wallet.pk]) as ledger:
                ledger.post(debit("a"))
                assert heard == []  # not before the commit
            with pytest.raises(ZeroDivisionError), \
                    ledger_transaction(wallet_ids=[wallet.pk]) as ledger:
                ledger.post(debit("b"))
                1 / 0  # noqa: B018
            with ledger_transaction(wallet_ids=[wallet.pk]) as ledger:
                ledger.post(debit("c", amount="3"))  # a credit
    finally:
        wallet_debited.disconnect(dispatch_uid="test-front-door")
    assert heard == [(wallet.pk, Decimal("-1"))]
