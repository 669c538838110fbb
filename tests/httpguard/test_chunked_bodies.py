"""Bodies without a Content-Length (chunked) are bounded while they stream, over real HTTP
through the production server (gunicorn, `opennrm serve`): past the limit the answer is 413
in the caller's language, nothing of the upload is kept; within it they work as any other."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.online.test_imports import ROOT, _good, _throwaway_database

pytestmark = pytest.mark.database  # its server runs on a throwaway database of the configured kind

LIMIT = 200_000  # the import limit; attachments and plain bodies are smaller
BOUNDARY = "----opennrm-test-boundary"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _step(env: dict[str, str], *args: str) -> object:
    out = subprocess.run(
        [sys.executable, "-m", "tests.httpguard.flow", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _multipart(name: str, content: bytes, fields: dict[str, str]) -> tuple[bytes, bytes]:
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + content, f"\r\n--{BOUNDARY}--\r\n".encode()


def _chunks(data: bytes, tail: bytes = b"", size: int = 16_384) -> Iterator[bytes]:
    """A body httpx sends with Transfer-Encoding: chunked (a generator has no length)."""
    for i in range(0, len(data), size):
        yield data[i : i + size]
    if tail:
        yield tail


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chunked")
    db_url, drop = _throwaway_database(tmp)
    port = _free_port()
    env = {
        **os.environ,
        "OPENNRM_DATABASE_URL": db_url,
        "OPENNRM_DATA_DIR": str(tmp / "data"),
        "OPENNRM_MAX_UPLOAD_BYTES": str(LIMIT),
        "OPENNRM_ATTACHMENT_MAX_BYTES": "100000",
        "OPENNRM_MAX_BODY_BYTES": "100000",
        "OPENNRM_AUDIT_DB_TRIGGERS": "0",
        "OPENNRM_ALLOWED_HOSTS": "127.0.0.1",
        "OPENNRM_SECRET_KEY": "chunked-body-test-" + "k" * 40,  # one key for every step
        "DJANGO_SETTINGS_MODULE": "opennrm.settings",
    }
    opennrm = [sys.executable, "-c", "from opennrm.cli import main; main()"]
    subprocess.run([*opennrm, "migrate"], env=env, cwd=ROOT, check=True, timeout=600)
    who = _step(env, "setup")
    proc = subprocess.Popen(
        [*opennrm, "serve", "--insecure-local", "--port", str(port), "--workers", "1",
         "--threads", "2"],
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
        yield {"base": base, "env": env, "who": who, "imports": tmp / "data" / "imports"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        drop()  # type: ignore[operator]


def _page_client(server) -> tuple[httpx.Client, str]:
    who = server["who"]
    client = httpx.Client(base_url=server["base"], timeout=60)
    client.cookies.set(who["cookie"], who["session"])
    page = client.get("/online/import/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return client, token


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_chunked_upload_past_the_limit_is_refused_in_the_callers_language(server):
    client, token = _page_client(server)
    head, tail = _multipart("big.jsonl", b"x" * (LIMIT * 3), {"csrfmiddlewaretoken": token})
    response = client.post(
        "/online/import/",
        content=_chunks(head, tail),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Accept-Language": "uk",
        },
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert "Запит більший за" in response.text
    assert _step(server["env"], "runs") == []
    assert _files(server["imports"]) == []  # no partial file anywhere


def test_a_chunked_upload_within_the_limit_is_queued_whole(server):
    client, token = _page_client(server)
    body = ("\n".join(_good(40)) + "\n").encode()
    head, tail = _multipart("posts.jsonl", body, {"csrfmiddlewaretoken": token})
    response = client.post(
        "/online/import/",
        content=_chunks(head, tail, size=1000),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 302, response.text[:500]
    [run] = _step(server["env"], "runs")
    assert (run["state"], run["name"]) == ("queued", "posts.jsonl")
    waiting = Path(run["path"])  # encrypted, under a neutral name; read back whole
    assert waiting.suffix == ".spool" and "posts" not in waiting.name
    assert body[:40] not in waiting.read_bytes()
    assert run["body"] == body.decode()


@pytest.mark.parametrize("lang,words", [("uk", "Запит більший за"), ("ru", "Запрос больше")])
def test_a_chunked_api_body_past_the_limit_is_413_in_the_error_shape(server, lang, words):
    who = server["who"]
    headers = {"Authorization": f"Bearer {who['token']}", "Accept-Language": lang}
    big = b'{"note": "' + b"y" * (LIMIT * 2) + b'"}'
    response = httpx.post(
        server["base"] + "/api/cases",
        content=_chunks(big),
        headers={**headers, "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    body = response.json()
    assert (body["error"], body["field"]) == ("too_large", "body")
    assert words in body["message"]
    head, tail = _multipart("scan.pdf", b"%PDF" + b"z" * (LIMIT * 2), {"kind": "other"})
    response = httpx.post(
        server["base"] + "/api/cases/NRM-2026-000001/attachments",
        content=_chunks(head, tail),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=60,
    )
    assert response.status_code == 413 and response.json()["error"] == "too_large"
