"""What one usage event costs in CPU, in-process: Python and the PostgreSQL backend apart.

    .venv/bin/python bench/ingest_cost.py [--database hb_usage_bench] [--singles 300]

Runs against the database `bench/ingest.py` leaves behind (run that first), under production
settings: adds an agency with 100 sub-accounts, then sends single events (POST /usage) and
batches of 500 (POST /usage/batch) through Django's test client and prints, per event, the
wall time, this process's CPU time and the CPU time of its PostgreSQL backend (read from
/proc, so PostgreSQL must run on this machine). CPU times do not move with the machine's
load the way wall times do.
"""

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="hb_usage_bench")
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--batches", type=int, default=6)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    os.environ.update({
        "DATABASE_URL": base.rsplit("/", 1)[0] + f"/{args.database}",
        "DJANGO_DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "API_RATE_LIMIT": "1000000/min",
        "DJSTRIPE_SKIP_MIGRATIONS": "1", "DJANGO_SETTINGS_MODULE": "hoopbilling.settings"})
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from agencies.services import agency_create, agency_update
    from subaccounts.services import subaccount_create

    agency, key = agency_create(name="Cost", admin_email=f"cost-{uuid.uuid4().hex[:8]}@example.com")
    # The clients have no funds: the widest credit limit, so every event is charged.
    agency_update(agency=agency, changes={"credit_limit": "1000000000"})
    clients = [str(subaccount_create(agency=agency, name=f"Client {n}").pk) for n in range(100)]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def backend_cpu() -> float:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def event(n: int) -> dict:
        return {"sub_account": clients[n % len(clients)], "item": "sms_outbound",
                "idempotency_key": uuid.uuid4().hex, "message_body": "Your appointment is at 10."}

    def single(n: int) -> None:
        response = client.post("/api/v1/usage", json.dumps(event(n)),
                               content_type="application/json")
        assert response.status_code == 201, response.content

    def batch(n: int) -> None:
        body = {"events": [event(i) for i in range(500)]}
        response = client.post("/api/v1/usage/batch", json.dumps(body),
                               content_type="application/json")
        assert response.status_code == 200, response.content

    def measure(label: str, send, runs: int, events_per_run: int) -> None:
        for n in range(3):  # warm-up: connections, imports, prepared caches
            send(n)
        wall, cpu, pg = time.perf_counter(), time.process_time(), backend_cpu()
        for n in range(runs):
            send(n)
        count = runs * events_per_run
        print(f"{label:32s} wall {(time.perf_counter() - wall) / count * 1000:7.3f} ms   "
              f"python cpu {(time.process_time() - cpu) / count * 1000:7.3f} ms   "
              f"postgresql cpu {(backend_cpu() - pg) / count * 1000:7.3f} ms   (per event)")

    print(f"in-process, database {args.database}, load average {os.getloadavg()[0]:.2f}")
    measure("single event (POST /usage)", single, args.singles, 1)
    measure("event in a batch of 500", batch, args.batches, 500)


if __name__ == "__main__":
    main()
