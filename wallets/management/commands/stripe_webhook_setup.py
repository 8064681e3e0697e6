"""Record the Stripe webhook endpoint dj-stripe checks signatures against.

Stripe shows a signing secret (whsec_...) for each webhook endpoint configured in its
dashboard. Put it in STRIPE_WEBHOOK_SECRET and run this once (again after rotating it): it
creates or updates dj-stripe's `WebhookEndpoint` with that secret and prints the URL to give
Stripe. The URL stays the same across runs.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone
from djstripe.enums import WebhookEndpointStatus
from djstripe.models import WebhookEndpoint

from wallets.payments.stripe_events import HANDLED_EVENTS


class Command(BaseCommand):
    help = "Record STRIPE_WEBHOOK_SECRET on dj-stripe's webhook endpoint and print its URL."

    def add_arguments(self, parser):
        parser.add_argument("--endpoint-id", default="we_hoopbilling",
                            help="The endpoint's id in the Stripe dashboard (we_...).")

    def handle(self, *args, endpoint_id, **options):
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise CommandError("Set STRIPE_WEBHOOK_SECRET (whsec_...) first.")
        endpoint = (WebhookEndpoint.objects.filter(id=endpoint_id).first()
                    or WebhookEndpoint(id=endpoint_id, created=timezone.now()))
        path = reverse("djstripe:djstripe_webhook_by_uuid",
                       kwargs={"uuid": endpoint.djstripe_uuid})
        endpoint.url = f"{settings.SITE_URL.rstrip('/')}{path}"
        endpoint.secret = secret
        endpoint.livemode = settings.STRIPE_LIVE_MODE
        endpoint.enabled_events = HANDLED_EVENTS
        endpoint.status = WebhookEndpointStatus.enabled
        endpoint.metadata = {"djstripe_uuid": str(endpoint.djstripe_uuid)}
        endpoint.save()
        self.stdout.write(f"Webhook endpoint {endpoint.id}: give Stripe this URL with the "
                          f"events {', '.join(HANDLED_EVENTS)}:\n{endpoint.url}")
