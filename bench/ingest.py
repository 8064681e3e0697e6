"""Usage ingestion benchmark against a real gunicorn and PostgreSQL, on loopback only.

    .venv/bin/python bench/ingest.py [--port 8151] [--seconds 8] [--database hb_usage_bench]

Recreates its own database (`--database`, default hb_usage_bench, on the server of
DATABASE_URL or postgres://postgres@127.0.0.1:5432), migrates it, creates an agency with 100
sub-accounts, starts `gunicorn hoopbilling.wsgi -w 4` (`--workers`), then measures and prints:
- single events/s (POST /usage, concurrent clients) to 100 wallets and to one hot wallet;
- batched events/s (POST /usage/batch of 500) to 100 wallets and to one hot wallet;
- latency of single events paced at 100 events/s (p50, p99).
Each phase is bounded by `--seconds`; the whole run takes about a minute. The server runs in
the venv of the Python running the bench (`some-venv/bin/python bench/ingest.py` measures
that venv's interpreter), and the first lines say which interpreter it is and how fast it is here.
"""

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import timeit
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def database_url(name: str) -> str:
    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"))
    if not base.scheme.startswith("postgres"):
        sys.exit("bench/ingest.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    return base._replace(path=f"/{name}").geturl()


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    name = parsed.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_data(env: dict) -> tuple[str, list[str]]:
    """Migrate, then one agency with 100 sub-accounts. Returns (api key, sub-account ids)."""
    python = sys.executable
    # Without dj-stripe's tables (the usage path never reads them): its migrations take
    # minutes.
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT,
                   env={**env, "DJSTRIPE_SKIP_MIGRATIONS": "1"}, check=True)
    script = (
        "import json\n"
        "from agencies.services import agency_create, agency_update\n"
        "from subaccounts.services import subaccount_create\n"
        "agency, key = agency_create(name='Bench', admin_email='bench@example.com')\n"
        # The clients have no funds: the widest credit limit, so every event is charged.
        "agency_update(agency=agency, changes={'credit_limit': '1000000000'})\n"
        "ids = [str(subaccount_create(agency=agency, name=f'Client {n}').pk) "
        "for n in range(100)]\n"
        "print(json.dumps({'key': key, 'ids': ids}))\n"
    )
    out = subprocess.run([python, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["key"], data["ids"]


class Api:
    def __init__(self, port: int, key: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, path: str, body) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", f"/api/v1{path}", body=json.dumps(body), headers=self.headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()


def start_server(port: int, env: dict, workers: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")  # the venv running the bench
    server = subprocess.Popen(
        [gunicorn, "hoopbilling.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer on /healthz")


def _event(sub_account: str) -> dict:
    return {"sub_account": sub_account, "item": "sms_outbound",
            "idempotency_key": uuid.uuid4().hex, "message_body": "Your appointment is at 10."}


def reference_ms() -> float:
    """This interpreter's speed on this machine now: the best of five timings of
    sum(range(10**6)), in ms. The machine's speed has varied by 2x between sessions (and the
    interpreter's build by as much), so each run prints it beside its figures."""
    return min(timeit.repeat("sum(range(10**6))", number=20, repeat=5)) / 20 * 1000


def run_for(seconds: float, workers: int, task) -> tuple[int, float, int]:
    """Run `task()` (returns events done, or raises) in `workers` threads for `seconds`."""
    stop = time.monotonic() + seconds
    counts, failures = [0] * workers, [0] * workers

    def loop(n):
        while time.monotonic() < stop:
            done, failed = task()
            counts[n] += done
            failures[n] += failed

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(loop, range(workers)))
    return sum(counts), time.monotonic() - started, sum(failures)


def phase_single(api: Api, targets: list[str], seconds: float, workers: int) -> float:
    lock, position = threading.Lock(), [0]

    def task():
        with lock:
            position[0] += 1
            target = targets[position[0] % len(targets)]
        status, _ = api.post("/usage", _event(target))
        return (1, 0) if status == 201 else (0, 1)

    done, elapsed, failed = run_for(seconds, workers, task)
    return done / elapsed, failed


def phase_batch(api: Api, targets: list[str], seconds: float, workers: int,
                size: int = 500) -> float:
    def task():
        events = [_event(targets[n % len(targets)]) for n in range(size)]
        status, body = api.post("/usage/batch", {"events": events})
        ok = sum(1 for r in body.get("results", []) if r.get("status") == 201)
        return ok, size - ok if status == 200 else size

    done, elapsed, failed = run_for(seconds, workers, task)
    return done / elapsed, failed


def phase_paced(api: Api, targets: list[str], seconds: float, rate: int = 100):
    latencies, failures = [], [0]
    lock = threading.Lock()

    def send(n):
        started = time.perf_counter()
        status, _ = api.post("/usage", _event(targets[n % len(targets)]))
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if status != 201:
                failures[0] += 1

    total = int(seconds * rate)
    begin = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        for n in range(total):
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, n)
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    return statistics.median(latencies) * 1000, p99 * 1000, total, failures[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8151)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", default="hb_usage_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13",
                        help="broker and cache (a database of its own: the bench leaves tasks)")
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn sync workers (README: 4 per web host)")
    args = parser.parse_args()

    url = database_url(args.database)
    # Production settings, but plain http on loopback (no TLS proxy in front here). Redis as
    # broker makes the cache Redis too, as in production (rate limits, low-balance dedupe);
    # the per-key rate limit is lifted: the bench is one key sending far above 1,200/min.
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING",
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "CELERY_BROKER_URL": args.redis,
           "API_RATE_LIMIT": "1000000/min"}
    recreate_database(url)
    key, sub_accounts = setup_data(env)
    server = start_server(args.port, env, args.workers)
    try:
        api = Api(args.port, key)
        hot = [sub_accounts[0]]
        print(f"gunicorn -w {args.workers} on 127.0.0.1:{args.port}, PostgreSQL {args.database}, "
              f"{args.clients} concurrent clients, {args.seconds:g} s a phase")
        print(f"python {sys.version.split()[0]} ({sys.executable}): sum(range(10**6)) in "
              f"{reference_ms():.1f} ms")
        phase_single(api, sub_accounts, 2, args.clients)  # warm-up: connections, imports
        figures = {}
        for label, fn, targets, workers in [
            ("single events/s, 100 wallets", phase_single, sub_accounts, args.clients),
            ("single events/s, 1 hot wallet", phase_single, hot, args.clients),
            ("batched events/s (500/batch), 100 wallets", phase_batch, sub_accounts, args.workers),
            ("batched events/s (500/batch), 1 hot wallet", phase_batch, hot, args.workers),
        ]:
            rate, failed = fn(api, targets, args.seconds, workers)
            figures[label] = rate
            print(f"{label:45s} {rate:8.0f}   (failed: {failed})")
        p50, p99, total, failed = phase_paced(api, sub_accounts, args.seconds)
        print(f"{'single event latency at 100/s':45s} p50 {p50:.1f} ms, p99 {p99:.1f} ms "
              f"({total} events, failed: {failed})")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
