"""Signed checkpoints catch what the self-consistent chain cannot: rewrites by a database owner.

Each attack below leaves a chain that `audit_verify` accepts (that is the point:
whoever holds the database can recompute every hash), and each one is caught by
verifying against a checkpoint signed with a key that is not in the database.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from opennrm.audit import anchor, protection
from opennrm.audit.chain import GENESIS_HASH, entry_digest, hashed_fields
from opennrm.audit.models import AuditEntry, AuditHead
from opennrm.audit.selectors import (
    CheckpointRefused,
    audit_checkpoint,
    audit_verify,
    audit_verify_checkpoints,
)
from opennrm.audit.services import audit_record
from opennrm.cli import main

_CHAIN = (
    "seq",
    "at",
    "user_id",
    "username",
    "agency_id",
    "role",
    "action",
    "object_type",
    "object_ref",
    "purpose",
    "detail",
)


@pytest.fixture(autouse=True)
def _protected(db):
    protection.install(connection)


@pytest.fixture
def key_file(tmp_path, settings) -> Path:
    path = tmp_path / "audit-key.pem"
    path.write_bytes(anchor.private_key_pem(anchor.generate_private_key()))
    settings.OPENNRM_AUDIT_KEY_FILE = str(path)
    settings.OPENNRM_AUDIT_SIGNING_KEY = ""
    settings.OPENNRM_AUDIT_VERIFY_KEYS = []
    return path


def _fill(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit_record(actor=None, action="case.read", object_type="case", object_ref=f"C-{i:04d}")


def _entries() -> list[dict]:
    return list(AuditEntry.objects.order_by("seq").values(*_CHAIN))


def _rewrite(entries: list[dict]) -> None:
    """What a database owner does: drop the triggers, replace the log by a re-hashed one
    with consecutive positions, and set the head to match. The chain then verifies."""
    protection.remove(connection)
    AuditEntry.objects.all().delete()
    prev = GENESIS_HASH
    rows = []
    for seq, values in enumerate(entries, start=1):
        values = {**values, "seq": seq}
        digest = entry_digest(hashed_fields(**values), prev)
        rows.append(AuditEntry(**values, prev_hash=prev, entry_hash=digest))
        prev = digest
    AuditEntry.objects.bulk_create(rows)
    AuditHead.objects.filter(pk=1).update(last_seq=len(rows), last_hash=prev)


def _assert_only_the_anchor_sees_it(checkpoint: dict, expected: str) -> None:
    plain = audit_verify()
    assert plain.ok, plain.problems  # the chain alone cannot tell
    report = audit_verify_checkpoints([checkpoint])
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems


def test_untouched_log_holds_its_checkpoints(key_file):
    _fill(3)
    first = audit_checkpoint()
    _fill(4, start=3)
    second = audit_checkpoint()
    assert (first["seq"], second["seq"]) == (3, 7)
    assert second["head_hash"] == AuditHead.objects.get(pk=1).last_hash
    report = audit_verify_checkpoints([first, second])
    assert report.ok and report.checkpoints == 2


def test_attack_delete_entry_and_recompute(key_file):
    _fill(6)
    checkpoint = audit_checkpoint()
    entries = _entries()
    del entries[2]  # the read of C-0002 never happened
    _rewrite(entries)
    _assert_only_the_anchor_sees_it(checkpoint, "the log ends at #5")


def test_attack_delete_entry_before_checkpoint_with_later_entries(key_file):
    _fill(4)
    checkpoint = audit_checkpoint()
    _fill(4, start=4)  # the log grew past the checkpoint; the rewrite keeps the length
    entries = _entries()
    del entries[1]
    entries.append({**entries[-1]})  # pad so the log is as long as before
    _rewrite(entries)
    _assert_only_the_anchor_sees_it(checkpoint, "entry #4 no longer has the signed hash")


def test_attack_change_actor_and_recompute(key_file):
    _fill(5)
    checkpoint = audit_checkpoint()
    entries = _entries()
    entries[1] = {**entries[1], "username": "someone-else", "user_id": 999}
    _rewrite(entries)
    _assert_only_the_anchor_sees_it(checkpoint, "log was rewritten at or before #5")


def test_attack_cut_tail_and_update_head(key_file):
    _fill(5)
    checkpoint = audit_checkpoint()
    protection.remove(connection)
    AuditEntry.objects.filter(seq__gte=4).delete()
    last = AuditEntry.objects.get(seq=3)
    AuditHead.objects.filter(pk=1).update(last_seq=3, last_hash=last.entry_hash)
    _assert_only_the_anchor_sees_it(checkpoint, "the log ends at #3, before the signed position")


def test_attack_whole_database_rollback(key_file):
    _fill(3)
    older_copy = _entries()  # a backup taken now
    head_then = AuditHead.objects.values("last_seq", "last_hash").get(pk=1)
    _fill(3, start=3)  # what happened afterwards (and what the rollback hides)
    checkpoint = audit_checkpoint()
    # restore the older copy of the whole database (here: of the audit tables)
    protection.remove(connection)
    AuditEntry.objects.all().delete()
    prev = GENESIS_HASH
    for values in older_copy:
        digest = entry_digest(hashed_fields(**values), prev)
        AuditEntry.objects.create(**values, prev_hash=prev, entry_hash=digest)
        prev = digest
    AuditHead.objects.filter(pk=1).update(**head_then)
    _assert_only_the_anchor_sees_it(checkpoint, "rolled back to an older copy")


def test_no_checkpoint_signed_over_a_broken_chain(key_file):
    _fill(3)
    protection.remove(connection)
    AuditEntry.objects.filter(seq=2).update(action="forged")
    with pytest.raises(CheckpointRefused, match="does not verify"):
        audit_checkpoint()


def test_forged_or_edited_checkpoint_refused(key_file):
    _fill(3)
    checkpoint = audit_checkpoint()
    edited = {**checkpoint, "seq": 2, "head_hash": AuditEntry.objects.get(seq=2).entry_hash}
    problems = audit_verify_checkpoints([edited]).problems
    assert any("signature does not match" in p for p in problems)
    stranger = anchor.checkpoint_sign(
        seq=3,
        head_hash=checkpoint["head_hash"],
        private=anchor.generate_private_key(),
        now=lambda: AuditEntry.objects.get(seq=3).at,
    )
    problems = audit_verify_checkpoints([stranger]).problems
    assert any("not among the accepted verifying keys" in p for p in problems)


def test_key_rotation_keeps_old_checkpoints_valid(key_file, settings, tmp_path):
    _fill(2)
    old_checkpoint = audit_checkpoint()
    old_public = anchor.load_private_key(key_file.read_bytes()).public_key()
    new_key = anchor.generate_private_key()
    settings.OPENNRM_AUDIT_KEY_FILE = ""
    settings.OPENNRM_AUDIT_SIGNING_KEY = anchor.private_key_pem(new_key).decode()
    assert not audit_verify_checkpoints([old_checkpoint]).ok  # old key no longer known
    settings.OPENNRM_AUDIT_VERIFY_KEYS = [anchor.public_key_text(old_public)]
    _fill(2, start=2)
    new_checkpoint = audit_checkpoint()
    assert new_checkpoint["key_id"] == anchor.key_id(new_key.public_key())
    assert new_checkpoint["key_id"] != old_checkpoint["key_id"]
    assert audit_verify_checkpoints([old_checkpoint, new_checkpoint]).ok


def test_signing_key_from_environment_as_base64_seed(settings):
    from cryptography.hazmat.primitives import serialization

    key = anchor.generate_private_key()
    seed = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    import base64

    settings.OPENNRM_AUDIT_KEY_FILE = ""
    settings.OPENNRM_AUDIT_SIGNING_KEY = base64.b64encode(seed).decode()
    _fill(1)
    assert audit_checkpoint()["key_id"] == anchor.key_id(key.public_key())


def test_no_key_configured_is_a_clear_error(settings):
    settings.OPENNRM_AUDIT_KEY_FILE = ""
    settings.OPENNRM_AUDIT_SIGNING_KEY = ""
    with pytest.raises(anchor.AuditKeyError, match="OPENNRM_AUDIT_KEY_FILE"):
        audit_checkpoint()


# --- the command line -------------------------------------------------------------------


def test_cli_checkpoint_file_and_verify(key_file, tmp_path):
    runner = CliRunner()
    _fill(4)
    out = tmp_path / "cp.json"
    result = runner.invoke(main, ["audit", "checkpoint", "--output", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert {"seq", "head_hash", "at", "key_id", "signature"} <= doc.keys() and doc["seq"] == 4
    result = runner.invoke(main, ["audit", "verify", "--checkpoint", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 signed checkpoint(s) hold" in result.output

    entries = _entries()
    entries[0] = {**entries[0], "action": "case.list"}
    _rewrite(entries)
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0  # the chain alone: fooled
    result = runner.invoke(main, ["audit", "verify", "--checkpoint", str(out)])
    assert result.exit_code == 1
    assert "entry #4 no longer has the signed hash" in result.output


def test_cli_append_log_and_checkpoints_dir(key_file, tmp_path):
    runner = CliRunner()
    log = tmp_path / "other-volume" / "audit-checkpoints.log"
    log.parent.mkdir()
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for round_ in range(3):
        _fill(2, start=2 * round_)
        result = runner.invoke(main, ["audit", "checkpoint", "--append-to", str(log)])
        assert result.exit_code == 0, result.output
        result = runner.invoke(
            main, ["audit", "checkpoint", "--output", str(folder / f"{round_}.json")]
        )
        assert result.exit_code == 0, result.output
    assert len(log.read_text().splitlines()) == 3
    for args in (["--append-log", str(log)], ["--checkpoints-dir", str(folder)]):
        result = runner.invoke(main, ["audit", "verify", *args])
        assert result.exit_code == 0, result.output
        assert "3 signed checkpoint(s) hold" in result.output

    protection.remove(connection)
    AuditEntry.objects.filter(seq=6).delete()
    AuditHead.objects.filter(pk=1).update(
        last_seq=5, last_hash=AuditEntry.objects.get(seq=5).entry_hash
    )
    for args in (["--append-log", str(log)], ["--checkpoints-dir", str(folder)]):
        result = runner.invoke(main, ["audit", "verify", *args])
        assert result.exit_code == 1
        assert "the log ends at #5" in result.output
    # and the scheduled job refuses to anchor the rewritten state
    result = runner.invoke(main, ["audit", "checkpoint", "--append-to", str(log)])
    assert result.exit_code == 1
    assert "REFUSED" in result.output
    assert len(log.read_text().splitlines()) == 3


def test_cli_checkpoint_to_syslog(key_file, settings):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(10)
    settings.OPENNRM_AUDIT_SYSLOG_ADDRESS = f"127.0.0.1:{server.getsockname()[1]}"
    received: list[bytes] = []
    thread = threading.Thread(target=lambda: received.append(server.recvfrom(65536)[0]))
    thread.start()
    _fill(2)
    result = CliRunner().invoke(main, ["audit", "checkpoint", "--syslog"])
    thread.join()
    server.close()
    assert result.exit_code == 0, result.output
    message = received[0].decode()
    assert message.startswith("<")  # syslog priority (authpriv)
    doc = json.loads(message.split("opennrm-audit-checkpoint ", 1)[1].rstrip("\x00"))
    assert audit_verify_checkpoints([doc]).ok


def test_cli_keys_generate_and_show(tmp_path, settings):
    runner = CliRunner()
    path = tmp_path / "k.pem"
    result = runner.invoke(main, ["audit", "keys", "generate", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    kid = result.output.split("key id:")[1].split()[0]
    again = runner.invoke(main, ["audit", "keys", "generate", "--output", str(path)])
    assert again.exit_code != 0 and "not overwritten" in again.output
    settings.OPENNRM_AUDIT_KEY_FILE = str(path)
    result = runner.invoke(main, ["audit", "keys", "show"])
    assert result.exit_code == 0, result.output
    assert f"signing key: {kid}" in result.output


@pytest.mark.slow
@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_rollback_of_the_database_file_is_detected_from_the_command_line(tmp_path):
    """The real thing: a deployment's SQLite file replaced by an older copy of itself."""
    import os
    import shutil
    import subprocess
    import sys

    key = tmp_path / "audit-key.pem"
    database = tmp_path / "opennrm.sqlite3"
    anchor_log = tmp_path / "other-volume.log"
    env = {
        **os.environ,
        "OPENNRM_DATA_DIR": str(tmp_path),
        "OPENNRM_DATABASE_URL": f"sqlite:///{database}",
        "OPENNRM_AUDIT_KEY_FILE": str(key),
        "OPENNRM_AUDIT_DB_TRIGGERS": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    opennrm = str(Path(sys.executable).parent / "opennrm")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [opennrm, *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )

    key.write_bytes(anchor.private_key_pem(anchor.generate_private_key()))
    assert run("migrate").returncode == 0
    assert run("createagency", "--name", "A", "--type", "ngo", "--country", "UA").returncode == 0
    assert run("audit", "checkpoint", "--append-to", str(anchor_log)).returncode == 0
    shutil.copy(database, tmp_path / "older-copy.sqlite3")  # yesterday's backup
    assert run("createagency", "--name", "B", "--type", "ngo", "--country", "UA").returncode == 0
    assert run("audit", "checkpoint", "--append-to", str(anchor_log)).returncode == 0
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "older-copy.sqlite3", database)  # the rollback
    assert run("audit", "verify").returncode == 0  # the chain alone is fooled
    rolled_back = run("audit", "verify", "--append-log", str(anchor_log))
    assert rolled_back.returncode == 1
    assert "rolled back to an older copy" in rolled_back.stderr
