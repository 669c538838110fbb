"""RFC 3161 time-stamps of signed checkpoints, against a real local TSA started by the test."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from opennrm.audit import anchor, protection, timestamp
from opennrm.audit.selectors import audit_checkpoint, audit_verify_checkpoints
from opennrm.audit.services import audit_record
from opennrm.cli import main
from tests.audit.tsa import running_tsa

_DOC = {
    "format": anchor.FORMAT,
    "seq": 3,
    "head_hash": "a" * 64,
    "at": "2026-12-01T17:00:00.000000Z",
    "key_id": "0123456789abcdef",
    "signature": "c2lnbmF0dXJl",
}


@pytest.fixture
def tsa():
    with running_tsa() as server:
        yield server


@pytest.fixture
def other_root():
    with running_tsa() as server:  # another authority: its root must not vouch for `tsa`
        yield server.root


# --- the pure library ----------------------------------------------------------------------


def test_a_stamp_covers_the_whole_checkpoint_and_verifies(tsa):
    stamped = timestamp.timestamp_checkpoint(_DOC, url=tsa.url)
    assert stamped["timestamp"]["tsa"] == tsa.url
    check = timestamp.timestamp_verify(stamped, [tsa.root])
    assert abs(check.time - datetime.now(UTC)) < timedelta(minutes=1)
    assert len(tsa.requests) == 1
    for field, value in (("seq", 4), ("head_hash", "b" * 64), ("signature", "b3RoZXI=")):
        with pytest.raises(timestamp.TimestampError, match="does not hold"):
            timestamp.timestamp_verify({**stamped, field: value}, [tsa.root])


def test_a_stamp_from_an_untrusted_authority_is_refused(tsa, other_root):
    stamped = timestamp.timestamp_checkpoint(_DOC, url=tsa.url)
    with pytest.raises(timestamp.TimestampError, match="does not hold"):
        timestamp.timestamp_verify(stamped, [other_root])
    with pytest.raises(timestamp.TimestampError, match="no trusted TSA"):
        timestamp.timestamp_verify(stamped, [])


def test_a_stamp_older_than_the_checkpoint_is_refused(tsa):
    tsa.clock = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # an hour before the signed time
    stamped = timestamp.timestamp_checkpoint(_DOC, url=tsa.url)
    with pytest.raises(timestamp.TimestampError, match="earlier than the checkpoint"):
        timestamp.timestamp_verify(stamped, [tsa.root])


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("rejection", "refused"),
        ("other_digest", "stamped other data"),
        ("garbage", "not a TimeStampResp"),
    ],
)
def test_a_failing_authority_gives_a_clear_error(tsa, mode, message):
    tsa.mode = mode
    with pytest.raises(timestamp.TimestampError, match=message):
        timestamp.timestamp_checkpoint(_DOC, url=tsa.url)


def test_an_unreachable_authority_gives_a_clear_error(tsa):
    url = tsa.url.replace("/tsa", "")
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(timestamp.TimestampError, match="did not answer"):
        timestamp.timestamp_checkpoint(_DOC, url=f"http://127.0.0.1:{port + 1}/x", timeout=2)
    with pytest.raises(timestamp.TimestampError, match="http"):
        timestamp.timestamp_checkpoint(_DOC, url="file:///etc/passwd")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_openssl_accepts_the_stored_stamp(tsa, tmp_path):
    """The stamp is a standard RFC 3161 answer: OpenSSL verifies it too."""
    stamped = timestamp.timestamp_checkpoint(_DOC, url=tsa.url)
    (tmp_path / "cp.tsr").write_bytes(timestamp.timestamp_token(stamped) or b"")
    (tmp_path / "data").write_bytes(timestamp.stamped_message(stamped))
    (tmp_path / "root.pem").write_bytes(tsa.root_pem)
    openssl = str(shutil.which("openssl"))
    result = subprocess.run(
        [
            openssl,
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "data"),
            "-in",
            str(tmp_path / "cp.tsr"),
            "-CAfile",
            str(tmp_path / "root.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Verification: OK" in result.stdout, result.stdout + result.stderr


# --- the commands --------------------------------------------------------------------------


@pytest.fixture
def configured(db, tmp_path, settings, tsa):
    protection.install(connection)
    key = tmp_path / "audit-key.pem"
    key.write_bytes(anchor.private_key_pem(anchor.generate_private_key()))
    settings.OPENNRM_AUDIT_KEY_FILE = str(key)
    settings.OPENNRM_AUDIT_SIGNING_KEY = ""
    settings.OPENNRM_AUDIT_VERIFY_KEYS = []
    ca = tmp_path / "tsa-root.pem"
    ca.write_bytes(tsa.root_pem)
    settings.OPENNRM_AUDIT_TSA_URL = tsa.url
    settings.OPENNRM_AUDIT_TSA_CA_FILE = str(ca)
    for i in range(3):
        audit_record(actor=None, action="case.read", object_type="case", object_ref=f"C-{i:04d}")
    return tmp_path


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_checkpoint_is_stamped_stored_beside_and_verified(configured, tsa):
    output = configured / "cp.json"
    result = _run("audit", "checkpoint", "--output", str(output))
    assert result.exit_code == 0, result.output
    doc = json.loads(output.read_text())
    assert doc["timestamp"]["tsa"] == tsa.url
    assert Path(str(output) + ".tsr").read_bytes() == timestamp.timestamp_token(doc)
    verified = _run("audit", "verify", "--checkpoint", str(output))
    assert verified.exit_code == 0, verified.output
    assert "1 RFC 3161 time-stamp(s) hold" in verified.output


def test_append_log_lines_carry_their_stamp(configured):
    log = configured / "anchor.log"
    assert _run("audit", "checkpoint", "--append-to", str(log)).exit_code == 0
    audit_record(actor=None, action="case.read", object_type="case", object_ref="C-0009")
    assert _run("audit", "checkpoint", "--append-to", str(log)).exit_code == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 2 and all("timestamp" in line for line in lines)
    verified = _run("audit", "verify", "--append-log", str(log))
    assert verified.exit_code == 0 and "2 RFC 3161 time-stamp(s) hold" in verified.output


def test_an_edited_stamped_checkpoint_fails_verification(configured, tsa):
    doc = timestamp.timestamp_checkpoint(audit_checkpoint(), url=tsa.url)
    forged = {**doc, "timestamp": {**doc["timestamp"]}}
    other = timestamp.timestamp_checkpoint(
        {**doc, "at": "2020-01-01T00:00:00.000000Z"}, url=tsa.url
    )
    forged["timestamp"]["token"] = other["timestamp"]["token"]  # a stamp of something else
    report = audit_verify_checkpoints([forged])
    assert not report.ok
    assert any("time-stamp does not hold" in p for p in report.problems)
    path = configured / "forged.json"
    path.write_text(json.dumps(forged))
    result = _run("audit", "verify", "--checkpoint", str(path))
    assert result.exit_code == 1


def test_without_the_tsa_certificate_stamps_are_reported_unchecked(configured, settings):
    output = configured / "cp.json"
    assert _run("audit", "checkpoint", "--output", str(output)).exit_code == 0
    settings.OPENNRM_AUDIT_TSA_CA_FILE = ""
    verified = _run("audit", "verify", "--checkpoint", str(output))
    assert verified.exit_code == 0
    assert "1 time-stamp(s) not checked" in verified.output


def test_a_failing_authority_still_stores_the_signed_checkpoint_and_fails_the_job(configured, tsa):
    tsa.mode = "rejection"
    output = configured / "cp.json"
    result = CliRunner().invoke(main, ["audit", "checkpoint", "--output", str(output)])
    assert result.exit_code == 1
    assert "NOT TIME-STAMPED" in result.output
    doc = json.loads(output.read_text())
    assert "timestamp" not in doc and doc["signature"]
    assert not Path(str(output) + ".tsr").exists()


def test_no_tsa_configured_means_no_stamp(configured, settings, tsa):
    settings.OPENNRM_AUDIT_TSA_URL = ""
    output = configured / "cp.json"
    assert _run("audit", "checkpoint", "--output", str(output)).exit_code == 0
    assert "timestamp" not in json.loads(output.read_text())
    assert tsa.requests == []
