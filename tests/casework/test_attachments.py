"""Attachments: type by magic bytes, size limit, encryption at rest, key rotation, the
virus scan over a real unix socket (a tiny fake clamd), and no key → a clear refusal."""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from opennrm.audit.models import AuditEntry
from opennrm.casework import files, services
from opennrm.casework.models import Attachment
from opennrm.core.errors import ValidationFailed
from tests.casework.factories import HTML, JPEG, PDF, PNG, chunks_of, coordination_case

pytestmark = pytest.mark.django_db

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _add(world, case, data: bytes, name: str = "scan.pdf"):
    return services.attachment_add(
        actor=world.case_manager,
        reference=case.reference,
        kind="document",
        filename=name,
        size=len(data),
        chunks=chunks_of(data),
    )


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")],
)
def test_allowed_types_by_content(world, data, content_type):
    case = coordination_case(world)
    attachment = _add(world, case, data, name="whatever.exe")  # the name does not decide
    assert attachment.content_type == content_type
    assert attachment.filename.endswith(files.EXTENSIONS[content_type])


def test_html_named_pdf_is_refused(world):
    case = coordination_case(world)
    with pytest.raises(ValidationFailed) as error:
        _add(world, case, HTML, name="report.pdf")
    assert error.value.field == "file"
    assert not Attachment.objects.exists()


def test_too_large_is_refused(world, settings):
    settings.OPENNRM_ATTACHMENT_MAX_BYTES = 100
    case = coordination_case(world)
    with pytest.raises(ValidationFailed, match="too large"):
        _add(world, case, PDF + b"x" * 200)
    # a declared size that lies is caught on the bytes themselves
    with pytest.raises(ValidationFailed, match="too large"):
        services.attachment_add(
            actor=world.case_manager,
            reference=case.reference,
            kind="document",
            filename="a.pdf",
            size=10,
            chunks=chunks_of(PDF + b"x" * 200),
        )
    assert not list(Path(settings.OPENNRM_ATTACHMENT_DIR).glob("*.enc"))


def test_stored_encrypted_and_read_back_with_audit(world, settings):
    case = coordination_case(world)
    big = PDF + bytes(range(256)) * 1000  # several chunks
    attachment = _add(world, case, big)
    stored = (Path(settings.OPENNRM_ATTACHMENT_DIR) / attachment.storage_name).read_bytes()
    assert b"SECRET-PLAINTEXT-MARKER" not in stored and b"%PDF" not in stored
    _attachment, stream = services.attachment_open(
        actor=world.case_manager, reference=case.reference, attachment_id=attachment.pk
    )
    assert b"".join(stream) == big
    assert AuditEntry.objects.filter(
        action="casework.attachment.download", detail__attachment_id=attachment.pk
    ).exists()


def test_key_rotation_old_files_still_open(world, settings):
    case = coordination_case(world)
    old_key = settings.OPENNRM_FILE_KEYS[0]
    attachment = _add(world, case, PNG)
    settings.OPENNRM_FILE_KEYS = [Fernet.generate_key().decode(), old_key]
    _a, stream = services.attachment_open(
        actor=world.case_manager, reference=case.reference, attachment_id=attachment.pk
    )
    assert b"".join(stream) == PNG


def test_no_key_refuses_upload_with_a_clear_message(world, settings):
    settings.OPENNRM_FILE_KEYS = []
    case = coordination_case(world)
    with pytest.raises(ValidationFailed, match="OPENNRM_FILE_KEYS"):
        _add(world, case, PDF)


class FakeClamd:
    """Speaks clamd's INSTREAM on a unix socket: FOUND when the stream holds the EICAR
    string, OK otherwise."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(4)
        self.commands: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = conn.recv(n - len(data))
            if not part:
                raise ConnectionError
            data += part
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = self._read(conn, 10)
                self.commands.append(command)
                body = b""
                while True:
                    (size,) = struct.unpack("!L", self._read(conn, 4))
                    if size == 0:
                        break
                    body += self._read(conn, size)
                answer = b"stream: Eicar-Test-Signature FOUND" if EICAR in body else b"stream: OK"
                conn.sendall(answer + b"\0")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd(tmp_path, settings):
    server = FakeClamd(tmp_path / "clamd.sock")
    settings.OPENNRM_CLAMD_SOCKET = server.path
    yield server
    server.close()


def test_clean_file_passes_the_scan(world, clamd):
    case = coordination_case(world)
    attachment = _add(world, case, PDF)
    assert attachment.scanned is True
    assert clamd.commands == [b"zINSTREAM\0"]


def test_infected_file_is_refused_and_audited(world, clamd, settings):
    case = coordination_case(world)
    with pytest.raises(ValidationFailed, match="Eicar-Test-Signature"):
        _add(world, case, PDF + EICAR)
    assert not Attachment.objects.exists()
    assert not list(Path(settings.OPENNRM_ATTACHMENT_DIR).glob("*.enc"))
    assert AuditEntry.objects.filter(
        action="access.refused", detail__what="attachment.infected"
    ).exists()


def test_scanner_down_refuses_the_upload(world, settings, tmp_path):
    settings.OPENNRM_CLAMD_SOCKET = str(tmp_path / "nothing-here.sock")
    case = coordination_case(world)
    with pytest.raises(ValidationFailed, match="virus scanner"):
        _add(world, case, PDF)
