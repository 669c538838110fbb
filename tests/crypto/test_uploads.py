"""An upload larger than what Django keeps in memory never lies on disk in clear
(opennrm.crypto.uploads), while the request reads it nor after."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opennrm.crypto.files import open_decrypted
from opennrm.online import services
from opennrm.online.models import ImportRun
from opennrm.online.services import spool_keys
from tests.conftest import verified_client

LINE = '{"text": "Робота в Дубаї, паспорт залишите нам, пишіть Оксані Гнатюк %d"}\n'


def _body(size: int) -> bytes:
    lines, n, total = [], 0, 0
    while total < size:
        line = (LINE % n).encode()
        lines.append(line)
        total += len(line)
        n += 1
    return b"".join(lines)


@pytest.mark.django_db
def test_a_large_upload_waits_for_the_view_encrypted_and_is_gone_after(
    world, settings, tmp_path, monkeypatch
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    settings.OPENNRM_IMPORT_DIR = tmp_path / "imports"
    body = _body(300_000)  # several chunks of the encrypted format, and a short last one
    seen: dict[str, object] = {}
    enqueue = services.import_enqueue

    def watching(**kwargs):
        # while the view runs: what Django left in its temporary folder
        waiting = list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir())
        seen["files"] = [p.name for p in waiting]
        seen["bytes"] = b"".join(p.read_bytes() for p in waiting)
        return enqueue(**kwargs)

    monkeypatch.setattr(services, "import_enqueue", watching)
    client = verified_client(world.officer)
    response = client.post(
        reverse("web:online_import"),
        {"file": SimpleUploadedFile("Гнатюк.jsonl", body, content_type="application/json")},
    )
    assert response.status_code == 302
    (name,) = seen["files"]
    assert name.endswith(".upload") and "Гнатюк" not in name
    data = seen["bytes"]
    assert isinstance(data, bytes) and len(data) > len(body)
    assert "паспорт".encode() not in data and "Гнатюк".encode() not in data
    assert data.startswith(b"gAAAAA")  # Fernet tokens, one per line
    assert not any(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir())  # removed with the request
    # ... and the view read it whole: the queued spool holds exactly the upload
    run = ImportRun.objects.get()
    with open_decrypted(run.upload_path, keys=spool_keys()) as plain:
        assert plain.read() == body


def test_the_uploaded_file_reads_again_from_its_start(tmp_path, settings, rf):
    from django.core.files.uploadhandler import StopFutureHandlers

    from opennrm.crypto.uploads import EncryptedTemporaryUploadHandler

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    handler = EncryptedTemporaryUploadHandler(rf.post("/"))
    with pytest.raises(StopFutureHandlers):
        handler.new_file("file", "a.bin", "application/octet-stream", 0)
    body = bytes(range(256)) * 700  # 179,200 bytes: chunks of 64 KiB and a rest
    for start in range(0, len(body), 1000):
        handler.receive_data_chunk(body[start : start + 1000], start)
    upload = handler.file_complete(len(body))
    assert upload.size == len(body) and upload.name == "a.bin"
    assert upload.read(10) == body[:10]  # a caller sniffs the head ...
    assert b"".join(upload.chunks()) == body  # ... and reads it all again
    assert b"".join(upload.chunks(4096)) == body
    with pytest.raises(OSError):
        upload.seek(5)
    (stored,) = list(tmp_path.iterdir())
    assert bytes(range(256)) not in stored.read_bytes()
    upload.close()
    assert not stored.exists()


def test_an_interrupted_upload_leaves_nothing(tmp_path, settings, rf):
    from django.core.files.uploadhandler import StopFutureHandlers

    from opennrm.crypto.uploads import EncryptedTemporaryUploadHandler

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    handler = EncryptedTemporaryUploadHandler(rf.post("/"))
    with pytest.raises(StopFutureHandlers):
        handler.new_file("file", "a.bin", "application/octet-stream", 0)
    handler.receive_data_chunk(b"x" * 100_000, 0)
    handler.upload_interrupted()
    assert not any(tmp_path.iterdir())
