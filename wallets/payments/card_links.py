"""The link an agency sends its client to add or update the card without an agency login:
a signed, expiring token (`TimestampSigner` with its own salt) that names one sub-account.

The page it opens (`views.card_link_page`) attaches the card with the client's own card flow
(`cards.payment_method_attach`), which retries an unpaid top-up at once. A tampered or
expired token finds no client.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hoopbilling.audit import audit_record
from hoopbilling.mail import outgoing_emails_queue
from subaccounts.models import SubAccount
from wallets.payments.notifications import client_billing_emails

SALT = "hoopbilling.payments.card-link"
LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class CardLink:
    url: str
    expires_at: datetime
    emailed_to: list[str]


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def card_link_send(*, sub_account: SubAccount, email: bool = False, actor=None,
                   actor_label: str = "") -> CardLink:
    """A new link for `sub_account` (valid for `LIFETIME`), audited; with `email`, mailed to
    the client's billing admins through the outbox in the same transaction."""
    token = _signer().sign(str(sub_account.pk))
    path = reverse("payments:card-link", kwargs={"token": token})
    link = CardLink(url=f"{settings.SITE_URL.rstrip('/')}{path}",
                    expires_at=timezone.now() + LIFETIME,
                    emailed_to=client_billing_emails(sub_account) if email else [])
    with transaction.atomic():
        audit_record(action="subaccount.card_link", obj=sub_account, actor=actor,
                     actor_label=actor_label, agency_id=sub_account.agency_id,
                     after={"expires_at": link.expires_at.isoformat(),
                            "emailed_to": link.emailed_to})
        if link.emailed_to:
            outgoing_emails_queue(
                recipients=link.emailed_to,
                subject=f"[HoopBilling] Add or update your card: {sub_account.name}",
                body=(f"{sub_account.agency.name} asks you to add or update the card that pays "
                      f"for {sub_account.name}.\nOpen this link (valid until "
                      f"{link.expires_at:%Y-%m-%d %H:%M} UTC): {link.url}\n"),
                dedupe_key=f"card-link:{token}")
    return link


def card_link_open(token: str) -> tuple[SubAccount, datetime] | None:
    """The client a link names and when the link expires, while it is valid; None when it
    was tampered with or has expired."""
    try:
        pk = _signer().unsign(token, max_age=LIFETIME)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    signed_at = signing.b62_decode(token.rsplit(":", 2)[1])
    sub_account = SubAccount.objects.select_related("agency").filter(pk=pk).first()
    if sub_account is None:
        return None
    return sub_account, datetime.fromtimestamp(signed_at, tz=UTC) + LIFETIME
