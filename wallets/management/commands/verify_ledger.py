"""`manage.py verify_ledger`: check the ledger's balances and hash chains (`ledger.integrity`)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from wallets.ledger.integrity import ledger_verify


class Command(BaseCommand):
    help = ("Check every wallet: cached balance equals the sum of its entries and no entry was "
            "changed. Exits 1 and names each wallet that drifts.")

    def add_arguments(self, parser):
        parser.add_argument("--wallet", type=int, action="append", dest="wallet_ids",
                            help="check only this wallet id (repeatable)")

    def handle(self, *args, wallet_ids=None, verbosity=1, **options):
        def progress(done, total):
            if verbosity and sys.stderr.isatty() or verbosity > 1:
                self.stderr.write(f"\rchecked {done}/{total} wallets", ending="")

        checks = ledger_verify(wallet_ids=wallet_ids, progress=progress)
        if verbosity and sys.stderr.isatty() or verbosity > 1:
            self.stderr.write("")
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
