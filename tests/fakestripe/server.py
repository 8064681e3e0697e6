"""A small fake of the Stripe API for tests: customers, setup intents, payment methods
(Stripe's test `pm_` ids), payment intents and refunds, with idempotency keys honoured as
Stripe does (the same key answers the first response again, as it was then, until the key
expires after 24 hours: `idempotency_keys_expire`) and declines / authentication_required."""

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

CARDS = {
    "pm_card_visa": ("visa", "4242", "ok"),
    "pm_card_mastercard": ("mastercard", "4444", "ok"),
    "pm_card_chargeCustomerFail": ("visa", "0341", "charge_fails"),
    "pm_card_authenticationRequired": ("visa", "3184", "authentication"),
    "pm_card_chargeDeclined": ("visa", "0002", "attach_declined"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "attach_declined"),
}


class FakeStripe:
    def __init__(self):
        self.lock = threading.Lock()
        self.customers, self.intents, self.idempotent = {}, {}, {}
        self.setups, self.attached = {}, {}
        self.requests = []

    def _id(self, prefix):
        return f"{prefix}_{secrets.token_hex(8)}"

    def handle(self, method, path, form, key):
        with self.lock:
            self.requests.append((method, path, key))
            if key and (method, path, key) in self.idempotent:
                return self.idempotent[(method, path, key)]
            answer = self._route(method, path, form)
            if key and method == "POST":
                self.idempotent[(method, path, key)] = json.loads(json.dumps(answer))
            return answer

    def idempotency_keys_expire(self):
        """A day has passed: Stripe has forgotten every idempotency key."""
        with self.lock:
            self.idempotent.clear()

    def _route(self, method, path, form):
        parts = path.strip("/").split("/")[1:]
        if parts == ["account"]:
            return 200, {"id": "acct_fakeplatform", "object": "account", "livemode": False,
                         "metadata": {}}
        if parts == ["customers"]:
            customer = {"id": self._id("cus"), "object": "customer", "name": form.get("name"),
                        "created": int(time.time()), "livemode": False,
                        "metadata": _metadata(form)}
            self.customers[customer["id"]] = customer
            return 200, customer
        if parts[:1] == ["customers"] and method == "GET":
            if parts[1] not in self.customers:
                return _missing(path)
            return 200, self.customers[parts[1]]
        if parts[:1] == ["setup_intents"] and method == "GET":
            if parts[1] not in self.setups:
                return _missing(path)
            return 200, self.setups[parts[1]]
        if parts == ["setup_intents"] and "payment_method" not in form:
            # For Stripe.js to confirm in the browser (tests stand in for it).
            setup = {"id": self._id("seti"), "object": "setup_intent",
                     "status": "requires_payment_method", "customer": form.get("customer"),
                     "payment_method": None, "created": int(time.time()), "livemode": False,
                     "metadata": _metadata(form)}
            setup["client_secret"] = f"{setup['id']}_secret_x"
            self.setups[setup["id"]] = setup
            return 200, setup
        if parts == ["setup_intents"]:
            brand, last4, behaviour = CARDS.get(form.get("payment_method"), (0, 0, "missing"))
            if behaviour == "missing":
                return 400, {"error": {"type": "invalid_request_error",
                                       "message": "No such PaymentMethod"}}
            if behaviour == "attach_declined":
                return 402, {"error": {"type": "card_error", "code": "card_declined",
                                       "message": "Your card was declined."}}
            setup = {"id": self._id("seti"), "object": "setup_intent", "status": "succeeded",
                     "customer": form.get("customer"), "payment_method": form["payment_method"],
                     "created": int(time.time()), "livemode": False, "metadata": {}}
            self.setups[setup["id"]] = setup
            self.attached[form["payment_method"]] = form.get("customer")
            return 200, setup
        if parts[:1] == ["payment_methods"] and method == "GET":
            if parts[1] not in CARDS:
                return _missing(path)
            brand, last4, _ = CARDS[parts[1]]
            return 200, {"id": parts[1], "object": "payment_method", "type": "card",
                         "customer": self.attached.get(parts[1]), "created": int(time.time()),
                         "livemode": False, "metadata": {},
                         "card": {"brand": brand, "last4": last4}}
        if parts == ["payment_intents"]:
            intent = {"id": self._id("pi"), "object": "payment_intent",
                      "amount": int(form["amount"]), "currency": form["currency"],
                      "customer": form.get("customer"), "status": "requires_payment_method",
                      "last_payment_error": None, "metadata": _metadata(form),
                      "created": int(time.time()), "livemode": False}
            intent["client_secret"] = f"{intent['id']}_secret_x"
            self.intents[intent["id"]] = intent
            return 200, intent
        if parts[:1] == ["payment_intents"] and len(parts) == 2:
            if parts[1] not in self.intents:
                return _missing(path)
            return 200, self.intents[parts[1]]
        if parts[:1] == ["payment_intents"] and parts[2:] == ["cancel"]:
            intent = self.intents[parts[1]]
            if intent["status"] in ("succeeded", "processing", "canceled"):
                return 400, {"error": {
                    "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                    "message": f"This PaymentIntent's status is {intent['status']}."}}
            intent.update(status="canceled")
            return 200, intent
        if parts[:1] == ["payment_intents"] and parts[2:] == ["confirm"]:
            intent = self.intents[parts[1]]
            if intent["status"] in ("succeeded", "processing", "canceled"):
                return 400, {"error": {
                    "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                    "message": f"This PaymentIntent's status is {intent['status']}.",
                    "payment_intent": dict(intent)}}
            if form.get("payment_method") not in CARDS:
                return 400, {"error": {"type": "invalid_request_error",
                                       "code": "resource_missing",
                                       "message": "No such PaymentMethod"}}
            behaviour = CARDS[form["payment_method"]][2]
            if behaviour == "ok":
                intent.update(status="succeeded", last_payment_error=None)
                return 200, intent
            code = "authentication_required" if behaviour == "authentication" else "card_declined"
            intent.update(status="requires_action" if code == "authentication_required"
                          else "requires_payment_method",
                          last_payment_error={"code": code, "message": code})
            return 402, {"error": {"type": "card_error", "code": code, "message": code,
                                   "payment_intent": dict(intent)}}
        if parts == ["refunds"]:
            intent = self.intents.get(form.get("payment_intent"))
            if intent is None or intent["status"] != "succeeded":
                return 400, {"error": {"type": "invalid_request_error",
                                       "message": "This PaymentIntent has no charge to refund."}}
            amount = int(form.get("amount", intent["amount"]))
            if amount > intent["amount"] - intent.get("amount_refunded", 0):
                return 400, {"error": {"type": "invalid_request_error",
                                       "message": "Refund amount is greater than unrefunded "
                                                  "amount on charge."}}
            intent["amount_refunded"] = intent.get("amount_refunded", 0) + amount
            return 200, {"id": self._id("re"), "object": "refund", "amount": amount,
                         "payment_intent": intent["id"], "status": "succeeded"}
        return _missing(path)

    def succeeded_charges(self):
        return [i for i in self.intents.values() if i["status"] == "succeeded"]

    def event(self, type, obj, *, account=None, created=None):
        """A webhook event about `obj` as Stripe renders it."""
        event = {"id": self._id("evt"), "object": "event", "type": type,
                 "api_version": "2025-01-27.acacia", "created": created or int(time.time()),
                 "livemode": False, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None},
                 "data": {"object": json.loads(json.dumps(obj))}}
        if account:
            event["account"] = account
        return event


def signature(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends: `t=<ts>,v1=HMAC-SHA256(secret, "t.payload")`."""
    timestamp = timestamp or int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(),
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _metadata(form):
    return {key[len("metadata["):-1]: value for key, value in form.items()
            if key.startswith("metadata[") and key.endswith("]")}


def _missing(path):
    return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                           "message": f"No such object: {path}"}}


def serve(port: int) -> tuple[FakeStripe, ThreadingHTTPServer]:
    fake = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            form = dict(parse_qsl(body or query))
            status, payload = fake.handle(method, path, form,
                                          self.headers.get("Idempotency-Key"))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
