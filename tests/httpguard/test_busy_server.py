"""A transaction held open for ever no longer freezes the application (SQLite, real server).

The production server (gunicorn, ``opennrm serve``) runs on a throwaway SQLite file with
``OPENNRM_SQLITE_WRITE_WAIT=1``. The test takes the write queue's lock itself, as a stuck
request or a stopped worker holding a transaction would: a write through the API and one
through a page each answer 503 "busy" in the caller's language after about a second, and
store nothing; once the lock is let go, the same write goes through (nothing stayed
locked by the writers that gave up)."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.httpguard.test_chunked_bodies import _free_port, _step
from tests.online.test_imports import ROOT

pytestmark = pytest.mark.skipif(
    os.environ.get("OPENNRM_DATABASE_URL", "").startswith("postgres"),
    reason="the write queue is SQLite's",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict[str, object]]:
    tmp = tmp_path_factory.mktemp("busy")
    database = tmp / "busy.sqlite3"
    port = _free_port()
    env = {
        **os.environ,
        "OPENNRM_DATABASE_URL": f"sqlite:///{database}",
        "OPENNRM_SQLITE_WRITE_WAIT": "1",
        "OPENNRM_DATA_DIR": str(tmp / "data"),
        "OPENNRM_AUDIT_DB_TRIGGERS": "0",
        "OPENNRM_ALLOWED_HOSTS": "127.0.0.1",
        "OPENNRM_SECRET_KEY": "busy-database-test-" + "k" * 40,  # one key for every step
        "DJANGO_SETTINGS_MODULE": "opennrm.settings",
    }
    opennrm = [sys.executable, "-c", "from opennrm.cli import main; main()"]
    subprocess.run([*opennrm, "migrate"], env=env, cwd=ROOT, check=True, timeout=600)
    who = _step(env, "setup")
    proc = subprocess.Popen(
        [*opennrm, "serve", "--insecure-local", "--port", str(port), "--workers", "1",
         "--threads", "4"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(300):
            try:
                httpx.get(base + "/api/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the server did not start"
                time.sleep(0.2)
        yield {"base": base, "who": who, "lock": Path(f"{database}-writers.lock")}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class _StuckTransaction:
    """Holds the write queue's lock, as a process stopped inside a transaction does."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> _StuckTransaction:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _cases(client: httpx.Client) -> int:
    page = client.get("/cases", params={"page_size": 100}).json()
    assert not page["has_next"]
    return len(page["items"])


def _api(server) -> httpx.Client:
    token = server["who"]["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "uk"}
    # a hang (the old, unlimited wait) fails the test on this timeout instead of freezing it
    return httpx.Client(base_url=server["base"] + "/api", headers=headers, timeout=20)


def test_an_api_write_behind_a_stuck_transaction_answers_503_then_goes_through(server):
    with _api(server) as client:
        before = _cases(client)
        with _StuckTransaction(server["lock"]):
            response = client.post("/cases", json={"summary": "busy test"})
            assert response.status_code == 503
            assert response.headers["Retry-After"]
            body = response.json()
            assert body["error"] == "busy"
            assert "нічого не збережено" in body["message"]
        assert _cases(client) == before  # nothing was stored
        again = client.post("/cases", json={"summary": "busy test"})
        assert again.status_code == 201, again.text[:300]  # no lock left behind
        assert _cases(client) == before + 1


def test_a_page_write_behind_a_stuck_transaction_answers_503_in_ukrainian(server):
    who = server["who"]
    with httpx.Client(base_url=server["base"], timeout=20) as client:
        client.cookies.set(who["cookie"], who["session"])
        form = client.get("/cases/new/")
        assert form.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        data = {"csrfmiddlewaretoken": token, "exploitation_type": "labour", "summary": "x"}
        headers = {"Accept-Language": "uk", "Referer": server["base"] + "/cases/new/"}
        with _StuckTransaction(server["lock"]):
            response = client.post("/cases/new/", data=data, headers=headers)
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "Система зараз перевантажена" in response.text
        after = client.post("/cases/new/", data=data, headers=headers)
        assert after.status_code == 302  # opened, on to the case's page
