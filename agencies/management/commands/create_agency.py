import json

from django.core.management.base import BaseCommand, CommandError

from agencies.services import agency_create
from hoopbilling.errors import DomainError


class Command(BaseCommand):
    help = ("Create an agency (rebilling allowed by its plan), its admin user and one API key. "
            'Prints {"agency": "<id>", "api_key": "<key>"}.')

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password")
        parser.add_argument("--currency", default="USD")

    def handle(self, *args, name, admin_email, admin_password, currency, **options):
        try:
            agency, api_key = agency_create(
                name=name, admin_email=admin_email, admin_password=admin_password,
                currency=currency.upper(),
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
        self.stdout.write(json.dumps({"agency": str(agency.pk), "api_key": api_key}))
