"""Queueing an upload is audited (who, which run, size, type, content digest; never the
file's name or content) in the same transaction as the run and its job."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opennrm.audit.models import AuditEntry
from opennrm.online import services
from opennrm.online.models import ImportRun
from tests.conftest import verified_client
from tests.online.test_imports import _good


@pytest.mark.django_db
def test_queueing_an_upload_writes_one_audit_entry_by_the_uploader(world):
    body = ("\n".join(_good(20)) + "\n").encode()
    response = verified_client(world.officer).post(
        reverse("web:online_import"),
        {"file": SimpleUploadedFile("Ivan Petrenko chat.jsonl", body)},
    )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    entry = AuditEntry.objects.get(action="online.import_queue")
    assert (entry.user_id, entry.agency_id) == (world.officer.pk, world.police.pk)
    assert (entry.object_type, entry.object_ref) == ("import", str(run.pk))
    assert entry.detail == {
        "bytes": len(body),
        "format": "auto",
        "file_type": "jsonl",
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    assert "Petrenko" not in str(entry.detail) and "Ivan" not in str(entry.detail)


@pytest.mark.django_db
def test_no_audit_entry_means_no_run_no_job_and_no_file(world, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    folder = Path(settings.OPENNRM_IMPORT_DIR)
    before = set(folder.iterdir()) if folder.exists() else set()
    with pytest.raises(RuntimeError):
        services.import_enqueue(
            actor=world.officer, chunks=[b'{"text": "x"}\n'], source_name="p.jsonl"
        )
    assert not ImportRun.objects.exists() and not DBTaskResult.objects.exists()
    assert (set(folder.iterdir()) if folder.exists() else set()) == before
