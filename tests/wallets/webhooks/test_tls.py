"""An https endpoint: the connection goes to the address checked at send time while TLS
(SNI and the certificate's name) and the Host header keep the URL's host name, so a receiver
behind a name is reached and verified as that name."""

import datetime
import socket
import ssl
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from tests.wallets.webhooks.conftest import Receiver
from tests.wallets.webhooks.signing import signed_by
from wallets.ledger.corrections import wallet_credit_grant
from wallets.webhooks.delivery import webhook_deliveries_due
from wallets.webhooks.models import WebhookAttempt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_server")]

HOST = "hooks.agency.test"


def _certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_receiver(receiver, tmp_path, monkeypatch):
    """The receiver's handler behind TLS with a certificate for HOST, which resolves to
    127.0.0.1; the certificate is the only one trusted."""
    cert_path, key_path = _certificate(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.server.RequestHandlerClass)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda name, *a, **k: real(
        "127.0.0.1" if name == HOST else name, *a, **k))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    yield f"https://{HOST}:{server.server_address[1]}/tls"
    server.shutdown()
    server.server_close()


def test_an_https_endpoint_is_reached_at_the_checked_address_and_verified_by_name(
        receiver: Receiver, endpoint, tls_receiver):
    endpoint.url = tls_receiver
    endpoint.save()
    wallet_credit_grant(sub_account=endpoint.client, amount="1", reason="Over TLS")
    assert webhook_deliveries_due(timezone.now())["webhooks_succeeded"] == 1
    [request] = receiver.requests
    assert request["path"] == "/tls"
    assert request["headers"]["Host"] == urlsplit(tls_receiver).netloc
    assert signed_by(request, endpoint.raw_secret)


def test_a_certificate_for_another_name_fails_the_attempt(receiver, endpoint, tls_receiver,
                                                          monkeypatch):
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda name, *a, **k: real(
        "127.0.0.1" if name in (HOST, "other.agency.test") else name, *a, **k))
    endpoint.url = tls_receiver.replace(HOST, "other.agency.test")
    endpoint.save()
    wallet_credit_grant(sub_account=endpoint.client, amount="1", reason="Wrong name")
    webhook_deliveries_due(timezone.now())
    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "SSLError" in attempt.error
    assert "doesn't match" in attempt.error
