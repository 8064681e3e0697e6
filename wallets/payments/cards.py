"""A client's card: attached through the gateway (or confirmed with Stripe.js, or reported by
a webhook), put on file, and the unpaid top-up it is for retried at once."""

import stripe
from django.utils import timezone

from hoopbilling.errors import InvalidInput
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.services import payment_method_set
from wallets.ledger.models import Wallet
from wallets.ledger.services import ledger_transaction
from wallets.payments.gateways import CardDeclined, StripeGateway, gateway_for
from wallets.payments.models import TopUp
from wallets.payments.signals import topup_due


def payment_method_attach(*, sub_account: SubAccount, payment_method: str, actor=None,
                          actor_label: str = "") -> SubAccount:
    """Attach a new card to the client's own customer and retry any unpaid top-up at once.

    A declined card raises `CardDeclined` and the previous card stays on file.
    """
    payment_method = (payment_method or "").strip()
    if not payment_method:
        raise InvalidInput("Choose a payment method.", field="payment_method")
    gateway = gateway_for(sub_account.agency)
    customer_id = gateway.customer_ensure(sub_account=sub_account)
    card = gateway.payment_method_attach(sub_account=sub_account, payment_method=payment_method)
    return payment_method_saved(sub_account=sub_account, gateway=gateway.name,
                                customer_id=customer_id, card=card, actor=actor,
                                actor_label=actor_label)


def payment_method_confirmed(*, sub_account: SubAccount, setup_intent: str, actor=None,
                             actor_label: str = "") -> SubAccount:
    """The client confirmed a SetupIntent with Stripe.js (the card page): put its card on
    file once Stripe says it succeeded for this client's own customer."""
    gateway = gateway_for(sub_account.agency)
    if not isinstance(gateway, StripeGateway):
        raise InvalidInput("Card setup needs Stripe.", field="setup_intent")
    customer_id = gateway.customer_ensure(sub_account=sub_account)
    try:
        setup = gateway.setup_retrieve(setup_id=(setup_intent or "").strip())
        _, card = (gateway.card_retrieve(payment_method=setup.get("payment_method"))
                   if setup.get("payment_method") else (None, None))
    except stripe.InvalidRequestError as exc:
        raise InvalidInput("No such card setup.", field="setup_intent") from exc
    if setup.get("customer") != customer_id or card is None:
        raise InvalidInput("No such card setup.", field="setup_intent")
    if setup.status != "succeeded":
        raise CardDeclined("The card was not confirmed.", field="setup_intent")
    return payment_method_saved(sub_account=sub_account, gateway=gateway.name,
                                customer_id=customer_id, card=card, actor=actor,
                                actor_label=actor_label)


def payment_method_saved(*, sub_account: SubAccount, gateway: str, customer_id: str, card,
                         actor=None, actor_label: str = "") -> SubAccount:
    """The gateway holds a new card for the client's own customer (attached by us, or reported
    by a webhook): put it on file and retry any unpaid top-up at once."""
    now = timezone.now()
    wallet_id = Wallet.objects.values_list("pk", flat=True).get(sub_account=sub_account)
    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        wallet = ledger.wallets[wallet_id]
        topup = (TopUp.objects.select_for_update(of=("self",)).filter(wallet=wallet)
                 .order_by("-created_at").first())
        payment_method_set(sub_account=sub_account, gateway=gateway,
                           customer_id=customer_id, payment_method_id=card.payment_method_id,
                           brand=card.brand, last4=card.last4, actor=actor,
                           actor_label=actor_label)
        retry = topup is not None and (
            topup.status in (TopUp.Status.RETRYING, TopUp.Status.REQUIRES_ACTION)
            or topup.status == TopUp.Status.FAILED
            and sub_account.suspension_reason == SuspensionReason.PAYMENT_FAILED)
        if retry:
            topup.status = (TopUp.Status.RETRYING if topup.status == TopUp.Status.FAILED
                            else topup.status)
            topup.next_attempt_at = now
            topup.save(update_fields=["status", "next_attempt_at", "updated_at"])
            topup_due.send(sender=TopUp, topup_id=topup.pk)
    return sub_account
