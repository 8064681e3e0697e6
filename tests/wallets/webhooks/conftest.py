"""A real HTTP receiver on loopback for the webhook tests: it records each request (headers
and raw body) and answers the statuses it is told to, in order (200 once they run out);
`hold` makes it keep a request open until released (a worker killed mid-delivery)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import SubAccountFactory
from wallets.webhooks.services import webhook_endpoint_create


class Receiver:
    def __init__(self):
        self.requests = []
        self.statuses = []
        self.hold = None  # a threading.Event: requests wait for it while set here
        self.received = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?src=hb"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.received.set()
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answered {status}".encode())

            def log_message(self, *args):
                pass

        return Handler

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self):
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    """The receiver, with private URLs allowed (it listens on 127.0.0.1)."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(receiver):
    """An endpoint of a new agency hearing every event at the receiver; `endpoint.raw_secret`
    is its secret and `endpoint.client` a client of the agency."""
    client = SubAccountFactory(external_id="crm-42")
    created, secret = webhook_endpoint_create(agency=client.agency, url=receiver.url,
                                              events=["*"])
    created.raw_secret = secret
    created.client = client
    return created
