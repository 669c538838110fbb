"""`opennrm serve`: the idle-connection timeout is the one asked for.

A client (or proxy) that reuses connections must close its idle ones before the server
does; that only works when the server's timeout is known and set. Real gunicorn, real
sockets: an idle connection is closed by the server after ``--keepalive`` seconds and kept
before it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def _closed_by_peer(sock: socket.socket, wait: float) -> bool:
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False


@pytest.fixture
def server(tmp_path):
    started: list[subprocess.Popen[bytes]] = []

    def start(keepalive: int) -> int:
        port = _free_port()
        env = {
            **os.environ,
            "OPENNRM_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "OPENNRM_DATA_DIR": str(tmp_path / "data"),
            "DJANGO_SETTINGS_MODULE": "opennrm.settings",
        }
        cmd = [sys.executable, "-c", "from opennrm.cli import main; main()", "serve"]
        args = ["--port", str(port), "--workers", "1", "--threads", "2"]
        proc = subprocess.Popen(
            [*cmd, *args, "--keepalive", str(keepalive), "--insecure-local"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port
            except OSError:
                assert proc.poll() is None, "the server exited"
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_idle_connection_is_closed_after_keepalive_and_kept_before(server):
    port = server(keepalive=1)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        assert _request(sock).startswith(b"HTTP/1.1 200")
        assert _closed_by_peer(sock, wait=4.0)  # 1 s timeout, checked about once a second

    port = server(keepalive=8)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        assert _request(sock).startswith(b"HTTP/1.1 200")
        assert not _closed_by_peer(sock, wait=3.0)
        sock.settimeout(30)
        assert _request(sock).startswith(b"HTTP/1.1 200")  # the same connection still serves
