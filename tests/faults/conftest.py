"""Fault fixtures: a private redis-server that a test kills and starts again, a TCP proxy
that cuts the database away, a real Celery worker on the private Redis, and an HTTP client
for the live server that never raises on a status."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from hoopbilling.celery import app as celery_app
from tests.wallets.payments.test_topups_celery import _reset_producers

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence: killing it
    loses what it held, as a crashed Redis without a disk would."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def redis_everywhere(private_redis, settings, monkeypatch):
    """The cache and the Celery broker of this process on the private Redis, as production
    runs them (one Redis for both)."""
    settings.CACHES = {"default": {
        "BACKEND": "hoopbilling.cache.SharedClientRedisCache", "LOCATION": private_redis.url,
        "KEY_PREFIX": "hb", "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    settings.CELERY_BROKER_URL = private_redis.url
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager,
                celery_app.conf.broker_transport_options)
    celery_app.conf.broker_url = private_redis.url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_transport_options = {"socket_connect_timeout": 1,
                                                "socket_timeout": 5}
    _reset_producers()
    try:
        yield private_redis
    finally:
        (celery_app.conf.broker_url, celery_app.conf.task_always_eager,
         celery_app.conf.broker_transport_options) = previous
        _reset_producers()


def database_url() -> str:
    settings_dict = connection.settings_dict
    return (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")


@pytest.fixture
def celery_worker(redis_everywhere, tmp_path):
    """A real worker with an embedded beat, as `make run` starts it, on the private Redis
    (prefork, two children: while one runs a task, the main process waits on the broker for
    the next, as a worker with room to spare does)."""
    env = {**os.environ, "CELERY_BROKER_URL": redis_everywhere.url,
           "DATABASE_URL": database_url(), "DATABASE_CONN_MAX_AGE": "0"}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hoopbilling", "worker", "--beat",
             "--schedule", str(tmp_path / "beat-schedule"), "--concurrency", "2",
             "--loglevel", "INFO", "-n", f"faults-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    process.log = log
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`. `cut()` drops every open connection and
    refuses new ones (the database "goes away"); `restore()` lets them through again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.closed = False
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_off:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.cut_off = True
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def restore(self) -> None:
        self.cut_off = False

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()


def http(method: str, url: str, *, body=None, key: str | None = None,
         headers: dict | None = None):
    """(status, headers, JSON body or None), whatever the status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    return status, headers, payload
