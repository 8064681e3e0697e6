"""An email backend for the tests whose mail server can be taken down: while `down` is set,
every send raises SMTPServerDisconnected, as Django's SMTP backend does when the server
drops the connection; otherwise messages land in `django.core.mail.outbox`."""

import smtplib

from django.core.mail.backends import locmem


class FlakyBackend(locmem.EmailBackend):
    down = False

    def send_messages(self, messages):
        if FlakyBackend.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
