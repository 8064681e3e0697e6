"""Live traffic for the demo: usage events sent to the usage API over HTTP, at a steady rate,
so the dashboard moves while you watch.

    manage.py simulate_usage                      # 5 events/s for 60 s to http://127.0.0.1:8000
    manage.py simulate_usage --rate 20 --count 500
    manage.py simulate_usage --url http://127.0.0.1:8000 --api-key hb_live_…

Without --api-key it issues a key for the agency (--agency, the demo agency by default) and
revokes it when done. The mix per client follows the demo's plans (SMS bodies with emoji and
extension characters, MMS, calls of every length, email, AI copy, review requests).
Bounded (rate, duration and count have ceilings) and loopback only unless --allow-remote.
"""

import http.client
import ipaddress
import json
import random
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agencies.models import Agency, ApiKey
from agencies.services import api_key_issue, api_key_revoke
from wallets.demo.seed import CLIENTS, DEMO_AGENCY
from wallets.demo.traffic import BULK, event_of

MAX_RATE = 200.0
MAX_DURATION = 3600.0
MAX_COUNT = 100_000
DEFAULT_MIX = {"sms": 20, "mms": 2, "call_in": 5, "call_out": 4, "email": 3, "verify": 1,
               "workflow": 2, "ai": 2, "review": 2}


@dataclass
class Tally:
    sent: int = 0
    charged: int = 0
    refused: dict = field(default_factory=dict)  # error code → count
    failed: int = 0  # transport errors and 5xx


class UsageApi:
    """One keep-alive connection to the API; reconnects once when the server dropped it."""

    def __init__(self, url: str, api_key: str, timeout: float = 10.0):
        parts = urlsplit(url)
        self.base = parts.path.rstrip("/")
        connection_class = (http.client.HTTPSConnection if parts.scheme == "https"
                            else http.client.HTTPConnection)
        self._connect = lambda: connection_class(parts.hostname, parts.port, timeout=timeout)
        self.connection = self._connect()
        self.headers = {"Authorization": f"Bearer {api_key}",
                        "Content-Type": "application/json"}

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        payload = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                self.connection.request(method, f"{self.base}/api/v1{path}", body=payload,
                                        headers=self.headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, json.loads(data) if data else {}
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = self._connect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        self.connection.close()


def _loopback(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback
                                   for a in addresses)


def _positive(name, value, ceiling):
    if value is not None and not 0 < value <= ceiling:
        raise CommandError(f"--{name} is between 0 and {ceiling:g}.")


class Command(BaseCommand):
    help = "Send realistic usage events to the usage API at a steady rate (demo traffic)."

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=5.0,
                            help=f"events per second (at most {MAX_RATE:g}; default 5)")
        parser.add_argument("--duration", type=float,
                            help=f"seconds to run (at most {MAX_DURATION:g}; default 60)")
        parser.add_argument("--count", type=int,
                            help=f"events to send, instead of a duration (at most {MAX_COUNT})")
        parser.add_argument("--url", default="http://127.0.0.1:8000",
                            help="the server (default http://127.0.0.1:8000)")
        parser.add_argument("--api-key", help="an agency API key; default: issue one for "
                                              "--agency and revoke it when done")
        parser.add_argument("--agency", default=DEMO_AGENCY,
                            help=f"the agency whose key is issued (default {DEMO_AGENCY!r})")
        parser.add_argument("--allow-remote", action="store_true",
                            help="allow a server that is not on this machine")
        parser.add_argument("--seed", type=int, help="random seed, for repeatable traffic")

    def handle(self, *args, **options):
        rate, count, duration = options["rate"], options["count"], options["duration"]
        _positive("rate", rate, MAX_RATE)
        _positive("duration", duration, MAX_DURATION)
        _positive("count", count, MAX_COUNT)
        if count is not None and duration is not None:
            raise CommandError("Give --duration or --count, not both.")
        total = count if count is not None else max(1, round(rate * (duration or 60.0)))
        url = options["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CommandError(f"--url {url!r} is not an http(s) URL.")
        if not options["allow_remote"] and not _loopback(parts.hostname):
            raise CommandError(f"{parts.hostname} is not this machine; pass --allow-remote "
                               "to send usage to another server.")
        issued = None
        api_key = options["api_key"]
        if not api_key:
            agency = Agency.objects.filter(name=options["agency"]).first()
            if agency is None:
                raise CommandError(f"No agency {options['agency']!r}: run seed_demo first or "
                                   "pass --api-key.")
            issued, api_key = api_key_issue(agency=agency, name="simulate_usage")
        api = UsageApi(url, api_key)
        try:
            tally = self._run(api, rate=rate, total=total,
                              rng=random.Random(options["seed"]))
        finally:
            api.close()
            if issued is not None:
                with transaction.atomic():
                    api_key_revoke(key=ApiKey.objects.get(pk=issued.pk))
        refused = ", ".join(f"{n} {code}" for code, n in sorted(tally.refused.items()))
        self.stdout.write(
            f"Sent {tally.sent} events: {tally.charged} charged"
            + (f", refused: {refused}" if refused else "")
            + (f", {tally.failed} failed" if tally.failed else "") + ".")

    def _clients(self, api: UsageApi) -> list[tuple[str, str, dict]]:
        """(id, name, daily mix) of every client the key's agency has."""
        plans = {plan.external_id: plan.daily for plan in CLIENTS}
        clients, page = [], 1
        while True:
            status, body = api.call("GET", f"/subaccounts?page={page}")
            if status != 200:
                raise CommandError(f"GET /subaccounts answered {status}: {body}")
            clients += [(row["id"], row["name"], plans.get(row.get("external_id"), DEFAULT_MIX))
                        for row in body["results"]]
            if not body.get("next"):
                break
            page += 1
        if not clients:
            raise CommandError("The agency has no sub-accounts to send usage for.")
        return clients

    def _run(self, api: UsageApi, *, rate: float, total: int, rng: random.Random) -> Tally:
        # Each client sends each kind of traffic in proportion to its daily mix.
        choices, weights = [], []
        for client_id, name, mix in self._clients(api):
            for kind, per_day in mix.items():
                choices.append((client_id, name, kind))
                weights.append(per_day)
        tally = Tally()
        started = time.monotonic()
        last_drawn = 0.0
        for number in range(total):
            due = started + number / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            client_id, name, kind = rng.choices(choices, weights=weights)[0]
            event = event_of(rng, kind, place=name,
                             count=rng.randint(5, 60) if kind in BULK else 1)
            event.update(sub_account=client_id, idempotency_key=f"sim-{uuid.uuid4()}")
            try:
                status, body = api.call("POST", "/usage", event)
            except (OSError, http.client.HTTPException):
                status, body = 0, {}
            tally.sent += 1
            if status == 201:
                tally.charged += 1
            elif 400 <= status < 500:
                code = body.get("error", {}).get("code", str(status))
                tally.refused[code] = tally.refused.get(code, 0) + 1
            else:
                tally.failed += 1
            now = time.monotonic()
            if now - last_drawn >= 0.25 or number + 1 == total:
                last_drawn = now
                self._draw(tally, total, now - started)
        if sys.stdout.isatty():
            sys.stdout.write("\n")
        return tally

    def _draw(self, tally: Tally, total: int, elapsed: float) -> None:
        """A progress bar on the terminal (\\r, redrawn in place); nothing when piped."""
        if not sys.stdout.isatty():
            return
        width = 30
        done = round(width * tally.sent / total)
        refused = sum(tally.refused.values())
        sys.stdout.write(
            f"\r[{'#' * done}{'-' * (width - done)}] {tally.sent}/{total} sent · "
            f"{tally.charged} charged · {refused} refused · {tally.failed} failed · "
            f"{tally.sent / elapsed if elapsed else 0:.1f}/s ")
        sys.stdout.flush()
