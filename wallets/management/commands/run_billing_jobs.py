"""`manage.py run_billing_jobs [--now ISO]`: the minute's billing jobs once, synchronously."""

import json
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wallets.billing.jobs import billing_jobs_run

MOMENTS = (2000, 9000)  # periods and retries are computed from it: keep far from the limits


class Command(BaseCommand):
    help = ("Run every due billing job once, synchronously (auto top-ups, due retries, "
            "suspension checks, and the jobs other apps register). Prints one JSON line of "
            "counts.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, now=None, **options):
        moment = timezone.now() if now is None else _moment(now)

        def progress(name, counts):  # on stderr: stdout is the one JSON line
            done = ", ".join(f"{key} {value}" for key, value in sorted(counts.items()) if value)
            self.stderr.write(f"{name}: {done or 'nothing due'}")

        counts = billing_jobs_run(moment, progress=progress)
        self.stdout.write(json.dumps(counts, sort_keys=True))


def _moment(text: str) -> datetime:
    try:
        moment = parse_datetime(text)
    except (ValueError, OverflowError):  # well formed, but no such moment: "2026-02-30…"
        moment = None
    if moment is None:
        raise CommandError(f"--now {text!r} is not an ISO 8601 date and time, "
                           "e.g. 2026-03-01T00:00:00Z")
    if not MOMENTS[0] <= moment.year <= MOMENTS[1]:
        raise CommandError(f"--now {text!r} is out of range: a year from {MOMENTS[0]} "
                           f"to {MOMENTS[1]}")
    return moment.replace(tzinfo=UTC) if timezone.is_naive(moment) else moment
