import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


def test_verify_ledger_passes_on_a_healthy_ledger(capsys):
    EntryFactory()
    EntryFactory()
    call_command("verify_ledger")
    assert capsys.readouterr().out.startswith("ok: 2 wallets, 2 entries verified")


def test_verify_ledger_exits_1_when_a_wallet_drifts(settings, tmp_path):
    # A real process, so the exit status is the one an operator's script sees. It runs on its
    # own SQLite database with a doctored cached balance.
    db = tmp_path / "drift.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin",
           "DJSTRIPE_SKIP_MIGRATIONS": "1"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], env=env, check=True)
    subprocess.run([python, "manage.py", "create_agency", "--name", "A", "--admin-email",
                    "a@example.com"], env=env, check=True, capture_output=True)
    script = ("from agencies.models import Agency;"
              "from subaccounts.services import subaccount_create;"
              "from wallets.models import Wallet;"
              "s = subaccount_create(agency=Agency.objects.get(), name='C');"
              "Wallet.objects.filter(sub_account=s).update(balance=5)")
    subprocess.run([python, "manage.py", "shell", "-c", script], env=env, check=True)
    result = subprocess.run([python, "manage.py", "verify_ledger"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "drifts" in result.stdout and "cached balance 5" in result.stdout
