"""`manage.py seed_demo`: the demo agency `make run` shows (`wallets.demo.seed`)."""

from django.core.management.base import BaseCommand, CommandError

from wallets.demo.seed import LOGINS, DemoIncomplete, demo_seed


class Command(BaseCommand):
    help = ("Load the demo agency `make run` shows: 8 clients and 90 days of usage, top-ups, "
            "a declined card and invoices, all through the real services. Safe to run twice: "
            "a second run only prints the logins.")

    def handle(self, *args, **options):
        try:
            report = demo_seed(progress=self._progress)
        except DemoIncomplete as exc:
            raise CommandError(str(exc)) from exc
        if report.already:
            self.stdout.write("Demo data already loaded.")
        else:
            counts = report.counts
            self.stdout.write(self.style.SUCCESS(
                f"Demo data loaded in {report.seconds:.1f} s: {counts['events']:,} usage events, "
                f"{counts['topups']} card top-ups, {counts['invoices']} invoices."))
        self.stdout.write(self.style.SUCCESS(
            "Log in at http://127.0.0.1:8000/accounts/login/ as:"))
        for role, (email, password) in LOGINS:
            self.stdout.write(f"  {role:32} {email} / {password}")

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()  # shown as it happens, also when make's output is piped
