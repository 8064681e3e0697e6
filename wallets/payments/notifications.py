"""Alerts: an in-app notification for the agency's users and an email, once per event; and
marking notifications read (the notifications page, the nav's unread count).

`notification_send` runs inside the transaction of the change it reports; the row is unique
by `dedupe_key` (a retried job or a duplicate webhook alerts once). Its emails go through the
outbox (`hoopbilling.mail`): one message per recipient, written in the same transaction (a
rollback mails nobody) and sent by a worker after the commit, with retries, so a mail server
that is down never fails the change that caused the mail.
"""

from django.utils import timezone

from agencies.models import AgencyMembership
from hoopbilling.mail import outgoing_emails_queue
from subaccounts.models import ClientMembership
from wallets.payments.models import Notification


def agency_emails(agency) -> list[str]:
    return sorted({m.user.email for m in AgencyMembership.objects.filter(agency=agency)
                   .select_related("user") if m.user.email})


def client_billing_emails(sub_account) -> list[str]:
    """The client's admins who manage its billing: the only ones who can act on a payment
    email (pay, authenticate, replace the card); the pages it links to refuse the others."""
    return sorted({m.user.email for m in ClientMembership.objects.filter(
        sub_account=sub_account, role=ClientMembership.Role.ADMIN, can_manage_billing=True)
        .select_related("user") if m.user.email})


def notification_send(*, agency, kind: str, message: str, dedupe_key: str, sub_account=None,
                      email_agency: bool = True, email_client: bool = False,
                      email_body: str = "") -> Notification | None:
    """Record the alert and queue its email, one message per recipient. None when it was
    already sent."""
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={"agency": agency, "sub_account": sub_account, "kind": kind,
                  "message": message[:500]},
    )
    if not created:
        return None
    recipients = []
    if email_agency:
        recipients += agency_emails(agency)
    if email_client and sub_account is not None:
        recipients += client_billing_emails(sub_account)
    if recipients:
        subject = f"[HoopBilling] {notification.get_kind_display()}"
        if sub_account is not None:
            subject += f": {sub_account.name}"
        outgoing_emails_queue(recipients=recipients, subject=subject,
                              body=email_body or message,
                              dedupe_key=f"notification:{notification.pk}")
    return notification


def notifications_mark_read(*, agency, notification_id=None) -> int:
    """Mark one of the agency's notifications read (`notification_id`), or all of them; the
    ones already read keep the time they were read. How many changed."""
    unread = Notification.objects.filter(agency=agency, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def unread_count(*, agency_id) -> int:
    """The nav's badge: one COUNT on the partial index of unread notifications."""
    return Notification.objects.filter(agency_id=agency_id, read_at__isnull=True).count()
