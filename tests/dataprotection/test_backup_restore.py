"""Backup while the application writes, restore into a fresh deployment, compare.

Each deployment is a real one in its own folder and database (SQLite, or a new database
on the suite's throwaway PostgreSQL server), driven through the real command line; a
writer process creates cases, people, notes and audit entries through the services the
whole time the backup runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from cryptography.fernet import Fernet

from opennrm.dataprotection import sealed
from opennrm.dataprotection.backup import backup_read_manifest

pytestmark = [pytest.mark.slow, pytest.mark.database]

OPENNRM = str(Path(sys.executable).with_name("opennrm"))
WRITER = str(Path(__file__).with_name("writer.py"))
PASSWORD = "backup-test-password-1"
BACKUP_KEY = sealed.generate_key()
FILE_KEY = Fernet.generate_key().decode()
PG_URL = os.environ.get("OPENNRM_DATABASE_URL", "")

_SNAPSHOT = """
import json
from opennrm.cases.models import Case
from opennrm.audit.models import AuditEntry, AuditHead
from opennrm.casework.models import Attachment, Note
from opennrm.casework import files
from django.conf import settings
import hashlib
head = AuditHead.objects.filter(pk=1).first()
cases = {}
for c in Case.objects.order_by("id"):
    p = getattr(c, "person", None)
    cases[c.reference] = [c.state, c.summary, p.given_name if p else None]
att = []
for a in Attachment.objects.order_by("id"):
    data = b"".join(files.read_decrypted(a.storage_name, directory=settings.OPENNRM_ATTACHMENT_DIR, keys=settings.OPENNRM_FILE_KEYS))
    att.append([a.filename, hashlib.sha256(data).hexdigest() == a.sha256])
print(json.dumps({
  "cases": cases,
  "notes": Note.objects.count(),
  "created_audited": AuditEntry.objects.filter(action="case.create").count(),
  "head": [head.last_seq, head.last_hash] if head else [0, ""],
  "attachments": att,
}))
"""


@dataclass
class Deployment:
    root: Path
    url: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENNRM_", "DJANGO_"))}
        env.update(
            OPENNRM_DATA_DIR=str(self.root),
            OPENNRM_DATABASE_URL=self.url,
            OPENNRM_SECRET_KEY="backup-test-secret-key-" + "x" * 40,
            OPENNRM_NEW_USER_PASSWORD=PASSWORD,
            OPENNRM_BACKUP_KEY=BACKUP_KEY,
            OPENNRM_FILE_KEYS=FILE_KEY,
            OPENNRM_LANGUAGE="en",
        )
        env.update(extra)
        return env

    def cli(self, *args: str, ok: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [OPENNRM, *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if ok and result.returncode != 0:
            raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def snapshot(self) -> dict:
        return json.loads(
            self.cli("manage", "shell", "-c", _SNAPSHOT).stdout.strip().splitlines()[-1]
        )

    def holds_data(self) -> bool:
        out = self.cli(
            "manage",
            "shell",
            "-c",
            "from opennrm.dataprotection.backup import deployment_data_counts as d;"
            "print(sum(d().values()))",
        )
        return int(out.stdout.strip().splitlines()[-1]) > 0


@pytest.fixture(params=["sqlite", "postgresql"])
def make_deployment(request, tmp_path) -> Iterator:
    vendor = request.param
    if vendor == "postgresql" and not PG_URL.startswith("postgres"):
        pytest.skip("PostgreSQL path runs in the suite's PostgreSQL pass (scripts/test)")
    created: list[str] = []
    parts = urlsplit(PG_URL) if vendor == "postgresql" else None

    def admin() -> psycopg.Connection:
        assert parts is not None
        url = urlunsplit(parts._replace(path="/postgres"))
        return psycopg.connect(url, autocommit=True)

    def make(name: str) -> Deployment:
        root = tmp_path / name
        root.mkdir()
        if vendor == "sqlite":
            return Deployment(root, f"sqlite:///{root / 'opennrm.sqlite3'}")
        db = f"opennrm_bk_{name}_{uuid.uuid4().hex[:8]}"
        with admin() as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        created.append(db)
        return Deployment(root, urlunsplit(parts._replace(path="/" + db)))

    make.vendor = vendor  # type: ignore[attr-defined]
    yield make
    if created:
        with admin() as conn:
            for db in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


_ATTACH = """
from opennrm.accounts.models import User
from opennrm.cases.services import case_create
from opennrm.casework.services import attachment_add
u = User.objects.get(username="cm")
c = case_create(actor=u, region="Lviv", summary="with a file")
data = b"%PDF-1.4 scanned consent " * 2000
attachment_add(actor=u, reference=c.reference, kind="consent", filename="consent.pdf",
               size=len(data), chunks=lambda: [data[i:i+4096] for i in range(0, len(data), 4096)])
"""


def test_backup_during_writes_restores_the_same_state(make_deployment, tmp_path):
    source = make_deployment("src")
    source.cli("migrate")
    source.cli("createagency", "--name", "Police", "--type", "police", "--country", "UA")
    source.cli("createuser", "--username", "cm", "--agency", "Police", "--role", "case_manager")
    source.cli("manage", "shell", "-c", _ATTACH)

    stop, ready = tmp_path / "stop", tmp_path / "ready"
    writer = subprocess.Popen(
        [sys.executable, WRITER, "cm", str(stop), str(ready)],
        env=source.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.1)
        backup_file = tmp_path / "site.backup"
        made = source.cli("backup", "--output", str(backup_file))
        assert "backup written" in made.stdout
    finally:
        stop.write_text("stop")
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    written_total = int(out.strip())

    manifest = backup_read_manifest(source=backup_file, key=sealed.parse_key(BACKUP_KEY))
    assert manifest["vendor"] == make_deployment.vendor
    in_backup = manifest["tables"]["cases_case"]
    # the backup is of a moment while the writer ran: some of its cases, not all
    assert 1 + 5 <= in_backup < 1 + written_total
    assert manifest["attachments"] == {"count": 1, "missing": 0}
    assert b"Writer" not in backup_file.read_bytes()  # encrypted

    target = make_deployment("dst")
    target.cli("migrate")  # a fresh, empty deployment (schema, no data)
    restored = target.cli("restore", str(backup_file))
    assert "OK: audit chain verifies" in restored.stdout, restored.stdout + restored.stderr

    after = target.snapshot()
    live = source.snapshot()
    assert len(after["cases"]) == in_backup
    assert after["head"][0] >= manifest["audit"]["last_seq"]  # + the restore's own entry
    assert target.cli("audit", "verify").returncode == 0
    # one committed state: every case has its creation audited, none half-written
    assert after["created_audited"] == len(after["cases"])
    assert after["attachments"] == [["consent.pdf", True]]
    # the same records as the source had (the source went on writing afterwards)
    # (the newest case may be caught between its creation and its person's first save)
    settled = list(after["cases"].items())[:-1]
    for reference, facts in settled[:: max(1, len(settled) // 5)]:
        assert live["cases"][reference] == facts
    assert len(live["cases"]) == 1 + written_total

    # a deployment that holds data is refused, and left as it was
    again = target.cli("restore", str(backup_file), ok=False)
    assert again.returncode == 1
    assert "not empty" in again.stderr
    assert target.snapshot()["cases"] == after["cases"]


def test_tampered_truncated_or_wrong_key_restores_nothing(make_deployment, tmp_path):
    source = make_deployment("one")
    source.cli("migrate")
    source.cli("createagency", "--name", "Police", "--type", "police", "--country", "UA")
    good = tmp_path / "good.backup"
    source.cli("backup", "--output", str(good))
    data = good.read_bytes()

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    (tmp_path / "flipped.backup").write_bytes(bytes(flipped))
    (tmp_path / "cut.backup").write_bytes(data[: len(data) - 100])

    target = make_deployment("two")
    cases = [
        ("flipped.backup", {}, "damaged or was altered"),
        ("cut.backup", {}, "cut short"),
        ("good.backup", {"OPENNRM_BACKUP_KEY": sealed.generate_key()}, "another key"),
        ("good.backup", {"OPENNRM_BACKUP_KEY": ""}, "OPENNRM_BACKUP_KEY"),
    ]
    for name, env, message in cases:
        result = target.cli("restore", str(tmp_path / name), ok=False, **env)
        assert result.returncode == 1, name
        assert message in result.stderr, (name, result.stderr)
        assert not target.holds_data(), name
        assert (
            not list((target.root / "attachments").glob("*"))
            if (target.root / "attachments").exists()
            else True
        )
    # the intact file with the right key restores
    assert "OK" in target.cli("restore", str(good)).stdout
