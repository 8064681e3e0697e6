"""`manage.py verify_ledger`: check the ledger's balances, signed chains and checkpoints
(`ledger.integrity`), and the usage charges and roll-ups against it (`usage.integrity`)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from wallets.ledger.integrity import ledger_verify
from wallets.usage.integrity import usage_verify

PROGRESS_EVERY = 10.0  # seconds between progress lines when the output is not a terminal


class Command(BaseCommand):
    help = ("Check every wallet: cached balance equals the sum of its entries, every entry is "
            "signed with a ledger key and unchanged, the chain still holds its checkpoints, "
            "and its usage charges, counters and daily roll-ups agree with it. Exits 1 and "
            "names each wallet that drifts.")

    def add_arguments(self, parser):
        parser.add_argument("--wallet", type=int, action="append", dest="wallet_ids",
                            help="check only this wallet id (repeatable)")

    def handle(self, *args, wallet_ids=None, verbosity=1, **options):
        tty = sys.stderr.isatty()
        shown = time.monotonic()

        def progress(done, total):
            nonlocal shown
            if verbosity and tty:
                self.stderr.write(f"\rchecked {done}/{total} wallets", ending="")
            elif verbosity > 1 or verbosity and time.monotonic() - shown >= PROGRESS_EVERY:
                shown = time.monotonic()
                self.stderr.write(f"checked {done}/{total} wallets")

        checks = ledger_verify(wallet_ids=wallet_ids, progress=progress)
        if verbosity and tty:
            self.stderr.write("")
        if verbosity > 1:
            self.stderr.write("checking usage charges, counters and roll-ups")
        usage_verify(checks, wallet_ids=wallet_ids)
        drifting = [check for check in checks if not check.ok]
        for check in drifting:
            self.stdout.write(
                f"wallet {check.wallet_id} (sub-account {check.sub_account_id}) drifts:")
            for problem in check.problems:
                self.stdout.write(f"  - {problem}")
        entries = sum(check.entries for check in checks)
        if drifting:
            raise CommandError(f"{len(drifting)} of {len(checks)} wallets drift", returncode=1)
        self.stdout.write(f"ok: {len(checks)} wallets, {entries} entries verified")
