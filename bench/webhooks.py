"""Outbound webhooks benchmark against a real gunicorn, Celery worker and PostgreSQL, on
loopback only.

    .venv/bin/python bench/webhooks.py [--seconds 6] [--rounds 3] [--events 1000]

Recreates its own database (`--database`, default hb_webhooks_bench, on the server of
DATABASE_URL), sets up the agency of bench/ingest.py (100 clients), starts a receiver
(http.server answering 200) and `gunicorn -w 4`, then prints:
- (b) batched usage events/s (POST /usage/batch of 500, 100 wallets) without and with an
  endpoint subscribed to every event type, in alternating runs in the same minutes
  (`--rounds` of each), their ranges and the ratio of the means;
- (a) events delivered per second by one Celery worker process (`--pool solo`) to the
  receiver: `--events` credits are granted (each writes an event and queues its delivery)
  while no worker runs, then one worker is started and timed from the first delivery the
  receiver gets to the last.
"""

import argparse
import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ingest import (
    ROOT,
    Api,
    database_url,
    phase_batch,
    recreate_database,
    reference_ms,
    setup_data,
    start_server,
)


class Receiver:
    """Answers 200 to every POST and notes when each arrived."""

    def __init__(self):
        self.times: list[float] = []
        lock = threading.Lock()
        times = self.times

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    times.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def api_call(api: Api, method: str, path: str, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=60)
    try:
        conn.request(method, f"/api/v1{path}", body=json.dumps(body) if body else None,
                     headers=api.headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def usage_cost(api: Api, receiver: Receiver, targets, seconds: float, rounds: int,
               workers: int) -> None:
    rates = {"without": [], "with": []}
    phase_batch(api, targets, 2, workers)  # warm-up
    for round_number in range(rounds):
        order = ["without", "with"] if round_number % 2 == 0 else ["with", "without"]
        for mode in order:
            endpoint = None
            if mode == "with":
                status, endpoint = api_call(api, "POST", "/webhook-endpoints",
                                            {"url": receiver.url, "events": ["*"]})
                assert status == 201, endpoint
            rate, failed = phase_batch(api, targets, seconds, workers)
            if endpoint:
                api_call(api, "DELETE", f"/webhook-endpoints/{endpoint['id']}")
            rates[mode].append(rate)
            print(f"  round {round_number + 1}, {mode:7s} an endpoint: {rate:8.0f} events/s "
                  f"(failed: {failed})", flush=True)
    without = sum(rates["without"]) / rounds
    with_ = sum(rates["with"]) / rounds
    print(f"(b) batched events/s without an endpoint: {min(rates['without']):.0f}-"
          f"{max(rates['without']):.0f}; with one subscribed to *: {min(rates['with']):.0f}-"
          f"{max(rates['with']):.0f}; with/without = {with_ / without:.3f} "
          f"({(1 - with_ / without) * 100:+.1f} % slower)")


def delivery_rate(api: Api, receiver: Receiver, env: dict, targets, events: int) -> None:
    status, endpoint = api_call(api, "POST", "/webhook-endpoints",
                                {"url": receiver.url, "events": ["credit.granted"]})
    assert status == 201, endpoint
    script = (
        "from celery import current_app\n"
        "with current_app.connection_for_write() as conn:\n"
        "    conn.default_channel.queue_purge('celery')\n"
        "from subaccounts.models import SubAccount\n"
        "from wallets.ledger.corrections import wallet_credit_grant\n"
        f"ids = {list(targets)!r}\n"
        "clients = {str(s.pk): s for s in SubAccount.objects.filter(pk__in=ids)}\n"
        f"for n in range({events}):\n"
        "    wallet_credit_grant(sub_account=clients[ids[n % len(ids)]], amount='1',\n"
        "                        reason='bench')\n"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                   check=True)
    receiver.times.clear()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hoopbilling", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "-n", "webhooks-bench@%h", "--without-heartbeat",
         "--without-gossip", "--without-mingle"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 600
        while len(receiver.times) < events and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    got = len(receiver.times)
    elapsed = receiver.times[-1] - receiver.times[0]
    print(f"(a) one worker (solo pool) delivered {got}/{events} events in {elapsed:.1f} s: "
          f"{(got - 1) / elapsed:.0f} events/s")
    api_call(api, "DELETE", f"/webhook-endpoints/{endpoint['id']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8152)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--database", default="hb_webhooks_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11",
                        help="broker and cache (a database of its own: the bench purges it)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    args = parser.parse_args()

    url = database_url(args.database)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING",
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "CELERY_BROKER_URL": args.redis,
           "API_RATE_LIMIT": "1000000/min", "WEBHOOK_ALLOW_PRIVATE_URLS": "1"}
    recreate_database(url)
    key, sub_accounts = setup_data(env)
    receiver = Receiver()
    server = start_server(args.port, env, args.workers)
    try:
        api = Api(args.port, key)
        print(f"gunicorn -w {args.workers}, PostgreSQL {args.database}, broker {args.redis}, "
              f"{args.seconds:g} s a run")
        print(f"python {sys.version.split()[0]}: sum(range(10**6)) in {reference_ms():.1f} ms")
        usage_cost(api, receiver, sub_accounts, args.seconds, args.rounds, args.workers)
        delivery_rate(api, receiver, env, sub_accounts, args.events)
    finally:
        server.terminate()
        server.wait(timeout=30)
        receiver.server.shutdown()


if __name__ == "__main__":
    main()
