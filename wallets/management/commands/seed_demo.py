from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.models import Agency
from agencies.services import agency_create
from subaccounts.models import ClientMembership
from subaccounts.services import subaccount_create
from wallets.ledger import Posting, entry_post

DEMO_AGENCY = "Northwind Marketing"
OPERATOR = ("operator@example.com", "operator-demo-pass")
AGENCY_ADMIN = ("admin@northwind.example.com", "agency-demo-pass")
CLIENT_ADMIN = ("owner@bluebird.example.com", "client-demo-pass")
CLIENTS = [
    ("Bluebird Dental", "loc_bluebird", Decimal("50.00")),
    ("Cedar Roofing", "loc_cedar", Decimal("25.00")),
    ("Harbor Yoga", "loc_harbor", Decimal("10.00")),
]


class Command(BaseCommand):
    help = "Load the demo data `make run` shows. Safe to run twice: it reuses what exists."

    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic():
            operator, created = User.objects.get_or_create(
                username=OPERATOR[0],
                defaults={"email": OPERATOR[0], "is_staff": True, "is_superuser": True})
            if created:
                operator.set_password(OPERATOR[1])
                operator.save()
            agency = Agency.objects.filter(name=DEMO_AGENCY).first()
            if agency is None:
                agency, _ = agency_create(name=DEMO_AGENCY, admin_email=AGENCY_ADMIN[0],
                                          admin_password=AGENCY_ADMIN[1], currency="USD")
            for name, external_id, _ in CLIENTS:
                if not agency.sub_accounts.filter(external_id=external_id).exists():
                    subaccount_create(agency=agency, name=name, external_id=external_id)
            bluebird = agency.sub_accounts.get(external_id=CLIENTS[0][1])
            client_admin, created = User.objects.get_or_create(
                username=CLIENT_ADMIN[0], defaults={"email": CLIENT_ADMIN[0]})
            if created:
                client_admin.set_password(CLIENT_ADMIN[1])
                client_admin.save()
                ClientMembership.objects.create(
                    sub_account=bluebird, user=client_admin,
                    role=ClientMembership.Role.ADMIN, can_manage_billing=True)
        for name, external_id, credit in CLIENTS:
            wallet = agency.sub_accounts.get(external_id=external_id).wallet
            # A fixed key makes the opening credit a replay on the second run.
            entry_post(wallet_id=wallet.pk, posting=Posting(
                kind="adjustment", amount=credit, currency=agency.currency,
                idempotency_key=f"demo:opening-credit:{external_id}",
                memo=f"Demo opening credit for {name}", actor_label="seed_demo"))
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at "
                                             "http://127.0.0.1:8000/accounts/login/ as:"))
        for role, (email, password) in [("operator (admin at /admin/)", OPERATOR),
                                        ("agency admin", AGENCY_ADMIN),
                                        ("client admin", CLIENT_ADMIN)]:
            self.stdout.write(f"  {role:28} {email} / {password}")
