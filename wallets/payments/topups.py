"""Top-up services: request, attempt, settle, fail (the card that pays is `cards`, when an
automatic one is due and for how much is `autotopup`).

The life of a top-up:

    topup_request ─► pending ─► topup_attempt ─► gateway.charge(key "topup:<id>")
                                      ├─ succeeded ─► topup_settle ─► ledger entry "topup:<id>"
                                      │                 └─ outstanding settled ─► lift
                                      ├─ declined / requires_action ─► topup_fail
                                      │      ├─ schedule left ─► retrying (next_attempt_at)
                                      │      └─ exhausted ─► failed ─► suspend the client
                                      ├─ would pass max_balance (money came in) ─► canceled,
                                      │      its charge called off; auto asks again if needed
                                      └─ worker killed ─► the attempt stays `started`; when its
                                         lease runs out the next run repeats it with the same
                                         keys and the gateway answers the charge it made

Money moves only through `wallets.ledger`. Each service takes its own durable transaction
and is safe to call twice: a settled top-up settles once, a finished attempt fails once.
Lock order: wallet, then top-up, then sub-account (never the other way round).
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from moneyed import Money

from hoopbilling.audit import audit_record
from hoopbilling.errors import DomainError, IdempotencyConflict, InvalidInput
from hoopbilling.money import (
    AMOUNT_MAX,
    TOPUP_MIN,
    bounded_decimal,
    ensure_decimal,
)
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.services import subaccount_lift, subaccount_suspend
from wallets.ledger.models import Wallet
from wallets.ledger.posting import Posting
from wallets.ledger.services import ledger_transaction
from wallets.payments.autotopup import auto_topup_due_amount
from wallets.payments.gateways import ChargeResult, gateway_for
from wallets.payments.models import Notification, TopUp, TopUpAttempt
from wallets.payments.notifications import notification_send
from wallets.payments.signals import (
    topup_due,
    topup_failed,
    topup_settled,
    wallet_below_threshold,
)

# While an attempt runs its top-up is not due; a worker killed mid-attempt is taken over
# by the next run once the lease has passed.
ATTEMPT_LEASE = timedelta(minutes=5)
PAYMENT_SUSPENSION_NOTE = "Card payments failed after every retry."


class TopUpInFlight(DomainError):
    code = "topup_in_flight"
    status = 409


class NoPaymentMethod(DomainError):
    code = "no_payment_method"
    status = 400


def _above_cap(wallet: Wallet, amount: Decimal) -> bool:
    """Adding `amount` would take the balance above the wallet's `max_balance`."""
    cap = wallet.auto_topup_max_balance
    return cap is not None and wallet.balance.amount + amount > cap.amount


def topup_request(*, wallet_id: int, trigger: str, amount=None, actor=None,
                  actor_label: str = "", now: datetime | None = None,
                  enqueue: bool = True, request_key: str = "") -> TopUp | None:
    """Ask for a top-up. Automatic: only when due (see module docstring), else None.
    Manual (`amount`): refused while another is in flight, without a card, or above the cap.
    `request_key` names the request asking (an Add funds form's token): asked again with the
    same key, the answer is the top-up that request made, and nothing is charged again."""
    now = now or timezone.now()
    try:
        with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
            wallet = ledger.wallets[wallet_id]
            if request_key:
                earlier = TopUp.objects.filter(wallet=wallet, request_key=request_key).first()
                if earlier is not None:
                    return _same_request(earlier, amount)
            sub_account = SubAccount.objects.select_related("agency").get(
                pk=wallet.sub_account_id)
            in_flight = TopUp.objects.filter(wallet=wallet, status__in=TopUp.IN_FLIGHT).exists()
            if trigger == TopUp.Trigger.AUTO:
                value = auto_topup_due_amount(wallet, sub_account, in_flight, now)
                if value is None:
                    return None
            else:
                value = _manual_amount(wallet, sub_account, amount, in_flight)
            topup = TopUp(
                wallet=wallet, sub_account=sub_account, amount=Money(value, wallet.currency),
                trigger=trigger, status=TopUp.Status.PENDING, next_attempt_at=now,
                gateway=gateway_for(sub_account.agency).name, created_at=now,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                request_key=request_key,
            )
            topup.save()
            if trigger == TopUp.Trigger.MANUAL:
                audit_record(action="topup.request", obj=topup, actor=actor,
                             actor_label=actor_label, agency_id=sub_account.agency_id,
                             after={"amount": str(value), "currency": wallet.currency})
            if enqueue:
                topup_due.send(sender=TopUp, topup_id=topup.pk)
            return topup
    except IntegrityError as exc:
        # Another request won the one-in-flight race (UniqueConstraint): nothing was written.
        if trigger == TopUp.Trigger.AUTO:
            return None
        raise TopUpInFlight("A top-up is already in progress for this wallet.",
                            field="amount") from exc


def _same_request(earlier: TopUp, amount) -> TopUp:
    """The top-up a request already made, when it is asked for again with the same key."""
    if amount is None or ensure_decimal(amount, field="amount") != earlier.amount.amount:
        raise IdempotencyConflict(
            f"This request already asked for {earlier.amount}; start a new one to add a "
            "different amount.", field="amount")
    return earlier


def _manual_amount(wallet, sub_account, amount, in_flight) -> Decimal:
    if amount is None:
        raise InvalidInput("Say how much to add.", field="amount")
    try:
        value = ensure_decimal(amount, field="amount")
    except ValueError as exc:
        raise InvalidInput(f"{amount!r} is not an amount.", field="amount") from exc
    # Whole cents (a card charge), TOPUP_MIN to AMOUNT_MAX: the "Add funds" form's rule.
    value = bounded_decimal(value, field="amount", maximum=AMOUNT_MAX, minimum=TOPUP_MIN,
                            places=2, what="An amount to add")
    if wallet.balance.amount + value > AMOUNT_MAX:
        raise InvalidInput(f"That would take the balance above {AMOUNT_MAX:,}, the most a "
                           "wallet holds.", field="amount")
    if _above_cap(wallet, value):
        cap = wallet.auto_topup_max_balance
        raise InvalidInput(
            f"That would take the balance above the maximum of {cap.amount} {cap.currency}.",
            field="amount")
    if in_flight:
        raise TopUpInFlight("A top-up is already in progress for this wallet.", field="amount")
    if not sub_account.payment_method_id:
        raise NoPaymentMethod("Add a card before adding funds.", field="payment_method")
    return value


def topup_attempt(*, topup_id, now: datetime | None = None) -> TopUp:
    """Charge a due top-up once. A top-up that is not due (or done) is left as it is; one
    that would now take the balance above the maximum (money came in meanwhile) is called
    off instead (`_topup_cancel`)."""
    now = now or timezone.now()
    wallet_id = TopUp.objects.values_list("wallet_id", flat=True).get(pk=topup_id)
    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        wallet = ledger.wallets[wallet_id]
        topup = (TopUp.objects.select_for_update(of=("self",))
                 .select_related("sub_account__agency").get(pk=topup_id))
        if (not topup.in_flight or topup.next_attempt_at is None
                or topup.next_attempt_at > now):
            return topup
        last = topup.attempt_rows.order_by("-number").first()
        if last is not None and last.status == TopUpAttempt.Status.STARTED:
            attempt = last  # a killed attempt (it may have charged): repeat it, same keys
        elif _above_cap(wallet, topup.amount.amount):
            attempt = None
        else:
            attempt = TopUpAttempt.objects.create(
                topup=topup, number=(last.number + 1) if last else 1, started_at=now,
                payment_method=topup.sub_account.payment_method_id)
        if attempt is not None:
            topup.status = TopUp.Status.PROCESSING
            topup.attempts = attempt.number
        topup.next_attempt_at = now + ATTEMPT_LEASE  # no other run takes it meanwhile
        topup.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    if attempt is None:
        return _topup_cancel(topup, now=now)
    gateway = gateway_for(topup.sub_account.agency)
    result = gateway.charge(topup=topup, attempt=attempt.number,
                            payment_method=attempt.payment_method)
    return topup_result_apply(topup_id=topup.pk, attempt_number=attempt.number, result=result,
                              now=now)


def _topup_cancel(topup: TopUp, *, now: datetime) -> TopUp:
    """Call off a due top-up that would take the balance above the maximum: its charge at the
    gateway first, so it can never be paid (one paid meanwhile is settled: the money was
    taken). An automatic top-up is asked for again at the right amount if still needed."""
    if topup.charge_id:
        result = gateway_for(topup.sub_account.agency).charge_cancel(charge_id=topup.charge_id)
        if result.status in (ChargeResult.SUCCEEDED, ChargeResult.PROCESSING):
            return topup_result_apply(topup_id=topup.pk, attempt_number=None, result=result,
                                      now=now)
    with ledger_transaction(wallet_ids=[topup.wallet_id]) as ledger:
        wallet = ledger.wallets[topup.wallet_id]
        topup = (TopUp.objects.select_for_update(of=("self",))
                 .select_related("sub_account__agency").get(pk=topup.pk))
        started = topup.attempt_rows.filter(status=TopUpAttempt.Status.STARTED).exists()
        if (not topup.in_flight or started  # another run began an attempt meanwhile
                or not _above_cap(wallet, topup.amount.amount)):
            return topup
        message = (f"Not charged: {topup.amount} would take the balance of {wallet.balance} "
                   f"above the maximum of {wallet.auto_topup_max_balance}.")
        topup.status = TopUp.Status.CANCELED
        topup.next_attempt_at = None
        topup.last_error = {"code": "above_max_balance", "message": message}
        topup.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
        audit_record(action="topup.cancel", obj=topup, actor_label="payments",
                     agency_id=topup.sub_account.agency_id, reason=message)
        if (topup.trigger == TopUp.Trigger.AUTO and wallet.auto_topup_enabled
                and wallet.balance < wallet.auto_topup_threshold):
            wallet_below_threshold.send(sender=TopUp, wallet_id=wallet.pk)
    return topup


def topup_result_apply(*, topup_id, attempt_number: int | None, result: ChargeResult,
                       now: datetime | None = None) -> TopUp:
    """What the gateway said (answer, webhook or poll), applied once."""
    if result.status == ChargeResult.SUCCEEDED:
        return topup_settle(topup_id=topup_id, charge_id=result.charge_id, now=now)
    if result.status in (ChargeResult.DECLINED, ChargeResult.REQUIRES_ACTION):
        return topup_fail(topup_id=topup_id, attempt_number=attempt_number,
                          code=result.error_code or result.status,
                          message=result.error_message, charge_id=result.charge_id,
                          requires_action=result.status == ChargeResult.REQUIRES_ACTION,
                          client_secret=result.client_secret, now=now)
    # Still processing at the gateway: the lease makes the next run poll it.
    TopUp.objects.filter(pk=topup_id, charge_id="").update(charge_id=result.charge_id)
    return TopUp.objects.get(pk=topup_id)


def topup_settle(*, topup_id, charge_id: str = "", now: datetime | None = None) -> TopUp:
    """The charge succeeded: credit the wallet once (entry `topup:<id>`), lift a payment
    suspension once nothing is outstanding. A late success after the retries ran out is
    still credited: the client's money was taken."""
    now = now or timezone.now()
    wallet_id = TopUp.objects.values_list("wallet_id", flat=True).get(pk=topup_id)
    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        wallet = ledger.wallets[wallet_id]
        topup = (TopUp.objects.select_for_update(of=("self",))
                 .select_related("sub_account__agency").get(pk=topup_id))
        if topup.status == TopUp.Status.SUCCEEDED:
            return topup
        entry, _ = ledger.post_one(wallet_id, Posting(
            kind="topup", amount=topup.amount.amount, currency=topup.amount.currency.code,
            idempotency_key=topup.idempotency_key, reference_type="topup",
            reference_id=str(topup.pk), memo=f"{topup.get_trigger_display()} top-up",
            actor_label="payments",
        ))
        topup.status = TopUp.Status.SUCCEEDED
        topup.entry = entry
        topup.settled_at = now
        topup.next_attempt_at = None
        topup.last_error = None
        topup.charge_id = charge_id or topup.charge_id
        topup.save()
        topup.attempt_rows.filter(status__in=[TopUpAttempt.Status.STARTED,
                                              TopUpAttempt.Status.REQUIRES_ACTION]).update(
            status=TopUpAttempt.Status.SUCCEEDED, finished_at=now)
        topup_settled.send(sender=TopUp, topup=topup, balance=wallet.balance.amount)
        sub_account = topup.sub_account
        if (sub_account.suspension_reason == SuspensionReason.PAYMENT_FAILED
                and wallet.balance.amount >= 0):
            subaccount_lift(sub_account=sub_account, only=(SuspensionReason.PAYMENT_FAILED,),
                            actor_label="payments")
            notification_send(
                agency=sub_account.agency, sub_account=sub_account,
                kind=Notification.Kind.LIFTED,
                message=(f"{sub_account.name} paid {topup.amount}: the suspension is lifted."),
                dedupe_key=f"lift:{topup.pk}", email_client=True)
        if wallet.auto_topup_enabled and wallet.balance < wallet.auto_topup_threshold:
            # Still below the threshold (a cap or a big shortfall): top up again.
            wallet_below_threshold.send(sender=TopUp, wallet_id=wallet_id)
    return topup


def topup_fail(*, topup_id, attempt_number: int | None, code: str, message: str,
               charge_id: str = "", requires_action: bool = False, client_secret: str = "",
               now: datetime | None = None) -> TopUp:
    """An attempt was declined (or needs the client to authenticate): schedule the next
    retry from the agency's `retry_schedule_hours`, or suspend when none is left."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        topup = (TopUp.objects.select_for_update(of=("self",))
                 .select_related("sub_account__agency").get(pk=topup_id))
        attempts = topup.attempt_rows.order_by("-number")
        attempt = (attempts.filter(number=attempt_number).first() if attempt_number
                   else attempts.first())
        if (topup.status in (TopUp.Status.SUCCEEDED, TopUp.Status.FAILED, TopUp.Status.CANCELED)
                or attempt is None
                or attempt.status != TopUpAttempt.Status.STARTED):
            return topup  # already applied (a duplicate or late webhook)
        error = {"code": code, "message": message}
        attempt.status = (TopUpAttempt.Status.REQUIRES_ACTION if requires_action
                          else TopUpAttempt.Status.DECLINED)
        attempt.error = error
        attempt.finished_at = now
        attempt.save()
        sub_account = topup.sub_account
        agency = sub_account.agency
        schedule = list(agency.retry_schedule_hours or [])
        failures = topup.attempt_rows.exclude(status__in=[
            TopUpAttempt.Status.STARTED, TopUpAttempt.Status.SUCCEEDED]).count()
        topup.last_error = error
        topup.charge_id = charge_id or topup.charge_id
        topup.client_secret = client_secret or topup.client_secret
        exhausted = failures > len(schedule)
        if exhausted:
            topup.status = TopUp.Status.FAILED
            topup.next_attempt_at = None
        else:
            topup.status = (TopUp.Status.REQUIRES_ACTION if requires_action
                            else TopUp.Status.RETRYING)
            topup.next_attempt_at = now + timedelta(hours=float(schedule[failures - 1]))
        topup.save()
        topup_failed.send(sender=TopUp, topup=topup, attempt=attempt, retries_left=not exhausted,
                          requires_action=requires_action)
        retry_note = ("No retries are left." if exhausted else
                      f"Next retry at {topup.next_attempt_at:%Y-%m-%d %H:%M} UTC.")
        notification_send(
            agency=agency, sub_account=sub_account, kind=Notification.Kind.PAYMENT_FAILED,
            message=(f"Top-up of {topup.amount} for {sub_account.name} failed "
                     f"(attempt {attempt.number}: {message or code}). {retry_note}"),
            dedupe_key=f"payment_failed:{topup.pk}:{attempt.number}")
        if requires_action:
            _authentication_request(topup, attempt)
        if exhausted:
            # A client already suspended (stopped at its credit limit, say) keeps that reason:
            # each reason is lifted by its own cause.
            newly = subaccount_suspend(sub_account=sub_account,
                                       reason=SuspensionReason.PAYMENT_FAILED,
                                       note=PAYMENT_SUSPENSION_NOTE, actor_label="payments")
            notification_send(
                agency=agency, sub_account=sub_account, kind=Notification.Kind.SUSPENDED,
                message=(f"{sub_account.name} is suspended: its card was declined after every "
                         "retry. Messaging and calling are blocked until it pays." if newly else
                         f"{sub_account.name}'s card was declined after every retry; it stays "
                         f"suspended ({sub_account.get_suspension_reason_display().lower()})."),
                dedupe_key=f"suspend:{topup.pk}:{attempt.number}", email_client=True)
    return topup


def _authentication_request(topup: TopUp, attempt: TopUpAttempt) -> None:
    path = reverse("payments:topup-authenticate",
                   kwargs={"sub_account_id": topup.sub_account_id, "topup_id": topup.pk})
    link = f"{settings.SITE_URL.rstrip('/')}{path}"
    notification_send(
        agency=topup.sub_account.agency, sub_account=topup.sub_account,
        kind=Notification.Kind.AUTHENTICATION_REQUIRED,
        message=(f"Top-up of {topup.amount} for {topup.sub_account.name} needs the client to "
                 "confirm the payment with the bank."),
        dedupe_key=f"authentication:{topup.pk}:{attempt.number}", email_agency=False,
        email_client=True,
        email_body=(f"Your bank asks you to confirm a payment of {topup.amount}.\n"
                    f"Complete it here: {link}\n"))


def topup_authenticated(*, topup_id) -> TopUp:
    """The client completed authentication on our page: ask the gateway and apply it."""
    topup = TopUp.objects.select_related("sub_account__agency").get(pk=topup_id)
    gateway = gateway_for(topup.sub_account.agency)
    result = gateway.authenticate(charge_id=topup.charge_id)
    return topup_result_apply(topup_id=topup.pk, attempt_number=None, result=result)


