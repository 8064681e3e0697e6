"""The embedded broker (kombu's filesystem transport, when CELERY_BROKER_URL is unset) keeps all
its files under var/, wherever the process is started from. Settings are read once per process,
so the check runs in a subprocess started in an empty directory with no broker configured."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BIND = """
import sys
from kombu import Exchange, Queue
from django.conf import settings
from hoopbilling.celery import app

name = sys.argv[1]
with app.connection_for_write() as connection:
    channel = connection.default_channel
    Queue(name, Exchange(name, type="direct"), routing_key=name)(channel).declare()
    print(settings.VAR_DIR, channel.control_folder.resolve(), sep="\\n")
"""


def test_embedded_broker_keeps_its_exchange_tables_under_var(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env["PYTHONPATH"] = str(ROOT)
    name = f"test-control-{uuid.uuid4().hex[:8]}"
    result = subprocess.run([sys.executable, "-c", BIND, name], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    var_dir, control = map(Path, result.stdout.split("\n")[-3:-1])
    table = control / f"{name}.exchange"
    try:
        assert control.is_relative_to(var_dir)
        assert table.exists()  # declaring the queue wrote its binding there
        assert list(tmp_path.iterdir()) == []  # and nothing where the process started
    finally:
        table.unlink(missing_ok=True)
