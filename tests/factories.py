"""factory-boy factories for every model. Objects with services are made through them, so a
factory-made sub-account has its wallet and a factory-made entry is a real ledger posting."""

import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from moneyed import Money

from agencies.models import Agency, AgencyMembership, ApiKey
from agencies.services import api_key_issue
from hoopbilling.models import AuditLog
from subaccounts.models import ClientMembership, SubAccount
from subaccounts.pricing.models import AgencyPrice, BaseCost, BillableItem, PriceOverride
from subaccounts.services import subaccount_create
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import Posting
from wallets.ledger.services import ledger_transaction
from wallets.usage.models import UsageCharge


def ledger_post_one(*, wallet_id: int, posting: Posting) -> tuple[Entry, bool]:
    """One posting through the ledger's front door in a transaction of its own:
    (entry, replayed)."""
    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        return ledger.post_one(wallet_id, posting)


OPEN_CREDIT = Decimal("1000000")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct-horse-battery")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    currency = "USD"

    class Params:
        # Room below zero for tests about something other than the credit limit, which
        # stops a client at zero by default (tests/wallets/usage/test_credit_limit.py).
        open_credit = factory.Trait(credit_limit=Money(OPEN_CREDIT, "USD"))


class AgencyMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyMembership

    agency = factory.SubFactory(AgencyFactory)
    user = factory.SubFactory(UserFactory)
    role = AgencyMembership.Role.ADMIN


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """Issued through the service; the raw key is on `obj.raw_key` for the test to use."""

    class Meta:
        model = ApiKey

    agency = factory.SubFactory(AgencyFactory)
    name = "Test key"

    @classmethod
    def _create(cls, model_class, agency, name, **kwargs):
        key, raw_key = api_key_issue(agency=agency, name=name)
        key.raw_key = raw_key
        return key


class BillableItemFactory(factory.django.DjangoModelFactory):
    """The catalog is fixed (loaded by migration): this returns the item with `code`."""

    class Meta:
        model = BillableItem
        django_get_or_create = ("code",)

    code = "sms_outbound"


class BaseCostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BaseCost

    item = factory.SubFactory(BillableItemFactory)
    cost = Money(Decimal("0.0100"), "USD")
    effective_from = factory.LazyFunction(timezone.now)


class AgencyPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyPrice

    agency = factory.SubFactory(AgencyFactory)
    item = factory.SubFactory(BillableItemFactory)
    price = factory.LazyAttribute(lambda o: Money(Decimal("0.0150"), o.agency.currency))
    effective_from = factory.LazyFunction(timezone.now)


class SubAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubAccount

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Client {n}")

    @classmethod
    def _create(cls, model_class, agency, name, external_id=None, **kwargs):
        sub_account = subaccount_create(agency=agency, name=name, external_id=external_id)
        if kwargs:
            SubAccount.objects.filter(pk=sub_account.pk).update(**kwargs)
            sub_account.refresh_from_db()
        return sub_account


class ClientMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientMembership

    sub_account = factory.SubFactory(SubAccountFactory)
    user = factory.SubFactory(UserFactory)
    role = ClientMembership.Role.ADMIN
    can_manage_billing = True


class PriceOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceOverride

    sub_account = factory.SubFactory(SubAccountFactory)
    item = factory.SubFactory(BillableItemFactory)
    price = factory.LazyAttribute(lambda o: Money(Decimal("0.0200"), o.sub_account.agency.currency))
    effective_from = factory.LazyFunction(timezone.now)


class WalletFactory(factory.django.DjangoModelFactory):
    """A wallet is opened with its sub-account; this returns that wallet."""

    class Meta:
        model = Wallet

    sub_account = factory.SubFactory(SubAccountFactory)

    @classmethod
    def _create(cls, model_class, sub_account, **kwargs):
        return Wallet.objects.get(sub_account=sub_account)


class EntryFactory(factory.django.DjangoModelFactory):
    """A real posting through the ledger service."""

    class Meta:
        model = Entry

    wallet = factory.SubFactory(WalletFactory)
    kind = Entry.Kind.ADJUSTMENT
    amount = Decimal("10.00")
    idempotency_key = factory.Sequence(lambda n: f"test:{n}")

    @classmethod
    def _create(cls, model_class, wallet, kind, amount, idempotency_key, **kwargs):
        entry, _ = ledger_post_one(wallet_id=wallet.pk, posting=Posting(
            kind=kind, amount=amount, currency=wallet.currency,
            idempotency_key=idempotency_key, **kwargs))
        return entry


class AuditLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditLog

    action = "test.action"
    object_type = "agencies.agency"
    object_id = factory.Sequence(str)
    actor_label = "system"


def wallet_with_card(*, payment_method="pm_card_visa", balance=None, auto=None, agency=None):
    """A client wallet with a sandbox card attached (through the service) and, optionally,
    a starting balance and auto top-up settings {"threshold", "amount", "max_balance"}."""
    from wallets.payments.autotopup import wallet_settings_set
    from wallets.payments.cards import payment_method_attach

    sub_account = SubAccountFactory(**({"agency": agency} if agency else {}))
    wallet = Wallet.objects.get(sub_account=sub_account)
    if payment_method:
        payment_method_attach(sub_account=sub_account, payment_method=payment_method)
    if balance is not None and Decimal(balance) != 0:
        kind = Entry.Kind.ADJUSTMENT
        EntryFactory(wallet=wallet, kind=kind, amount=Decimal(balance))
    if auto is not None:
        wallet_settings_set(wallet=wallet, enabled=True, **auto)
    wallet.refresh_from_db()
    return wallet


class UsageChargeFactory(factory.django.DjangoModelFactory):
    """A charged usage event as `usage_record` leaves it: the charge, its ledger debit when
    rebilled (`billed_to="wallet"`), and `usage_recorded` sent in the charge's transaction.
    Pass `unit_price=None` with `tier_breakdown=[...]` and `amount` for a tiered charge."""

    class Meta:
        model = UsageCharge

    sub_account = factory.SubFactory(SubAccountFactory)
    item = factory.SubFactory(BillableItemFactory)
    quantity = Decimal("1")
    unit_price = Decimal("0.015")
    base_cost_unit = Decimal("0.01")
    billed_to = UsageCharge.BilledTo.WALLET
    idempotency_key = factory.Sequence(lambda n: f"usage:{n}")

    @classmethod
    def _create(cls, model_class, sub_account, item, quantity, unit_price, base_cost_unit,
                billed_to, idempotency_key, amount=None, tier_breakdown=None, **kwargs):
        from django.db import transaction
        from django.db.models import F

        from agencies.periods import period_bounds
        from hoopbilling.money import quantize_amount
        from wallets.usage.charging import charge_binding
        from wallets.usage.models import UsageCounter
        from wallets.usage.signals import UsageFacts, usage_recorded

        currency = sub_account.agency.currency
        per = Decimal(item.price_per)
        if amount is None:
            amount = quantize_amount(quantity * unit_price / per)
        base_cost_amount = quantize_amount(quantity * base_cost_unit / per)
        charge_id, occurred_at = uuid.uuid4(), timezone.now()
        entry = None
        if billed_to == UsageCharge.BilledTo.WALLET and amount:
            wallet = Wallet.objects.get(sub_account=sub_account)
            entry, _ = ledger_post_one(wallet_id=wallet.pk, posting=Posting(
                kind=Entry.Kind.USAGE, amount=-amount, currency=currency,
                idempotency_key=f"usage:{charge_id}", reference_type="usage_charge",
                reference_id=str(charge_id), binding=charge_binding(
                    charge_id=charge_id, sub_account_id=sub_account.pk, item_id=item.code,
                    idempotency_key=idempotency_key, quantity=quantity,
                    unit_price=unit_price, amount=amount,
                    base_cost_amount=base_cost_amount, currency=currency)))
        with transaction.atomic():
            period_start, _ = period_bounds(anchor_day=sub_account.agency.billing_anchor_day,
                                            moment=occurred_at)
            counter, _ = UsageCounter.objects.get_or_create(
                sub_account=sub_account, item=item, period_start=period_start)
            UsageCounter.objects.filter(pk=counter.pk).update(quantity=F("quantity") + quantity)
            charge = model_class.objects.create(
                id=charge_id, agency=sub_account.agency, sub_account=sub_account, item=item,
                idempotency_key=idempotency_key, fingerprint="0" * 64,
                occurred_at=occurred_at, quantity=quantity,
                unit_price=None if unit_price is None else Money(unit_price, currency),
                amount=Money(amount, currency), base_cost_unit=Money(base_cost_unit, currency),
                base_cost_amount=Money(base_cost_amount, currency),
                price_source="agency", tier_breakdown=tier_breakdown, billed_to=billed_to,
                entry=entry, **kwargs)
            usage_recorded.send(sender=model_class, charges=[UsageFacts.of(charge)])
        return charge
