import json
from datetime import UTC

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wallets.jobs import billing_jobs_run


class Command(BaseCommand):
    help = ("Run every due billing job once, synchronously (auto top-ups, due retries, "
            "suspension checks, and the jobs other apps register). Prints one JSON line of "
            "counts.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now {now!r} is not an ISO 8601 date and time")
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=UTC)
        counts = billing_jobs_run(moment)
        self.stdout.write(json.dumps(counts, sort_keys=True))
