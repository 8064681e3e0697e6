"""Password reset: its email goes through the outbox, and asking for it is throttled.

Django's `PasswordResetView` mails a link to every active account with the address given,
from the request itself. Here the mail is queued in the outbox (`hoopbilling.mail`): a mail
server that is down no longer fails the page, and the message is retried. Requests are
counted per address asked about (`PASSWORD_RESETS_PER_ACCOUNT`, protecting one person's
inbox) and per caller's address (`PASSWORD_RESETS_PER_ADDRESS`, one caller trying many
accounts) within `PASSWORD_RESET_RATE_WINDOW` seconds; over either, nothing is mailed and the
answer is the same "check your email" page, so it never tells whether an account exists or
was limited.
"""

import logging
import uuid

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponseRedirect
from django.template import loader

from hoopbilling.mail import outgoing_emails_queue
from hoopbilling.ratelimit import WindowCounter
from hoopbilling.security import client_address, normalised_username

logger = logging.getLogger(__name__)


def account_counter() -> WindowCounter:
    return WindowCounter("password-reset-account", settings.PASSWORD_RESETS_PER_ACCOUNT,
                         settings.PASSWORD_RESET_RATE_WINDOW)


def address_counter() -> WindowCounter:
    return WindowCounter("password-reset-address", settings.PASSWORD_RESETS_PER_ADDRESS,
                         settings.PASSWORD_RESET_RATE_WINDOW)


def password_reset_allowed(*, request, email: str) -> bool:
    """Count this request; False once the caller or the account asked too often. A caller
    over its own limit no longer counts against the accounts it names."""
    address = client_address(request)
    if address and address_counter().hit(address) > settings.PASSWORD_RESETS_PER_ADDRESS:
        return False
    return account_counter().hit(normalised_username(email)) <= (
        settings.PASSWORD_RESETS_PER_ACCOUNT)


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's form, with its mail queued in the outbox instead of sent from the request
    (plain text: the project's reset templates have no HTML part)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        subject = loader.render_to_string(subject_template_name, context)
        body = loader.render_to_string(email_template_name, context)
        outgoing_emails_queue(recipients=[to_email], subject=subject, body=body,
                              from_email=from_email,
                              # each request it accepted is one message
                              dedupe_key=f"password_reset:{uuid.uuid4()}")


class ThrottledPasswordResetView(PasswordResetView):
    form_class = OutboxPasswordResetForm

    def form_valid(self, form):
        if password_reset_allowed(request=self.request, email=form.cleaned_data["email"]):
            return super().form_valid(form)
        logger.warning("Password reset for %r from %s refused: over the limit.",
                       form.cleaned_data["email"], client_address(self.request))
        return HttpResponseRedirect(self.get_success_url())
