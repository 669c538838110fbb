"""An auditor reads every online-monitoring entry in words, in Ukrainian and Russian:
no raw object type ("contact", "group"), no raw detail key ("sha256"), no action left to
the vague "Online monitoring"."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from opennrm.audit.models import AuditEntry
from opennrm.casework.audit_labels import (
    ACTION_LABELS,
    DETAIL_LABELS,
    OBJECT_LABELS,
    detail_words,
)
from opennrm.online.models import Contact, MonitoredPost, PostGroup
from opennrm.online.services import import_process
from tests.conftest import verified_client
from tests.online.posts import write_jsonl
from tests.online.test_imports import _good

pytestmark = pytest.mark.django_db


def test_every_online_audit_entry_reads_in_words(world, tmp_path):
    client = verified_client(world.coordinator)
    body = ("\n".join(_good(5)) + "\n").encode()
    client.post("/online/import/", {"file": SimpleUploadedFile("a.jsonl", body)})
    path = write_jsonl(tmp_path / "p.jsonl")
    client.post("/online/import/", {"file": SimpleUploadedFile("p.jsonl", path.read_bytes())})
    from opennrm.online.models import ImportRun

    for run in ImportRun.objects.all():
        import_process(run_id=run.pk)
    post = MonitoredPost.objects.filter(agency=world.coordination).first()
    client.get(f"/online/posts/{post.pk}/")
    client.get("/online/", {"status": "", "category": ""})
    client.get(f"/online/contacts/{Contact.objects.first().pk}/")
    client.get(f"/online/groups/{PostGroup.objects.first().pk}/")
    client.post(f"/online/posts/{post.pk}/false-positive/", {"confirm": "yes"})
    client.post(f"/online/posts/{post.pk}/false-positive/undo/")
    client.post("/online/export/stix/", {"post": [post.pk]})
    entries = list(AuditEntry.objects.filter(action__startswith="online."))
    actions = {e.action for e in entries}
    assert {"online.import_queue", "online.contact_view", "online.group_view"}
    assert "online.queue_view" in actions <= actions
    assert {"online.false_positive", "online.false_positive_undo"} <= actions
    for e in entries:
        assert e.action in ACTION_LABELS, e.action
        assert e.object_type in OBJECT_LABELS, e.object_type
        for key in e.detail or {}:
            assert key in DETAIL_LABELS, (e.action, key)
    for language in ("uk", "ru"):
        with translation.override(language):
            for e in entries:
                for labels, code in ((OBJECT_LABELS, e.object_type), (ACTION_LABELS, e.action)):
                    assert str(labels[code]) != code, (language, code)
                for key in e.detail or {}:
                    assert str(DETAIL_LABELS[key]) != key, (language, key)
                for _label, words in detail_words(e.detail):
                    assert words not in {"auto", "done", "failed", "resumed", "queued"}, words
