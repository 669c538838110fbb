"""Casework pages and the audit page: what each user sees, downloads never inline, the
audit page in words, its date range and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.audit.services import audit_record
from opennrm.casework import services
from opennrm.casework.models import Attachment, Note
from tests.casework.factories import HTML, PDF, chunks_of, coordination_case
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def test_owner_page_forms_and_writes(world):
    case = coordination_case(world)
    client = verified_client(world.case_manager)
    url = f"/casework/{case.reference}/"
    html = client.get(url).content.decode()
    for section in ('id="assignment"', 'id="notes"', 'id="plan"', 'id="attachments"'):
        assert section in html
    r = client.post(url + "assign/", {"assign-assignee": str(world.coordinator.pk)})
    assert r.status_code == 302
    r = client.post(url + "notes/", {"note-kind": "note", "note-text": "Первая встреча"})
    assert r.status_code == 302 and Note.objects.filter(case=case).count() == 1
    r = client.post(url + "plan/", {"plan-kind": "need", "plan-service_type": "shelter"})
    assert r.status_code == 302
    upload = SimpleUploadedFile("згода.pdf", PDF, content_type="text/html")
    r = client.post(url + "files/", {"file-kind": "consent", "file-file": upload})
    assert r.status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "application/pdf"  # from the bytes, not the claim
    html = client.get(url).content.decode()
    assert "Первая встреча" in html and attachment.filename in html


def test_a_wrong_form_keeps_what_was_typed(world):
    case = coordination_case(world)
    client = verified_client(world.case_manager)
    r = client.post(
        f"/casework/{case.reference}/notes/",
        {"note-kind": "contact", "note-text": "Дзвінок сестрі"},
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "Дзвінок сестрі" in html and "Give the date of the contact." in html


def test_html_upload_refused_on_the_page(world):
    case = coordination_case(world)
    client = verified_client(world.case_manager)
    upload = SimpleUploadedFile("x.pdf", HTML, content_type="application/pdf")
    r = client.post(
        f"/casework/{case.reference}/files/", {"file-kind": "other", "file-file": upload}
    )
    assert r.status_code == 422
    assert "Only PDF, JPEG and PNG files can be attached." in r.content.decode()
    assert not Attachment.objects.exists()


def test_no_key_message_on_the_page(world, settings):
    settings.OPENNRM_FILE_KEYS = []
    case = coordination_case(world)
    upload = SimpleUploadedFile("x.pdf", PDF)
    r = verified_client(world.case_manager).post(
        f"/casework/{case.reference}/files/", {"file-kind": "other", "file-file": upload}
    )
    assert r.status_code == 422 and "no encryption key is configured" in r.content.decode()


def test_download_is_an_attachment_never_inline(world):
    case = coordination_case(world)
    attachment = services.attachment_add(
        actor=world.case_manager,
        reference=case.reference,
        kind="document",
        filename="паспорт.pdf",
        size=len(PDF),
        chunks=chunks_of(PDF),
    )
    r = verified_client(world.case_manager).get(
        f"/casework/{case.reference}/files/{attachment.pk}/"
    )
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PDF
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["Content-Type"] == "application/octet-stream"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Cache-Control"] == "no-store"


def test_shelter_page_shows_only_the_plan(world):
    case = coordination_case(world, purpose="shelter", to=world.ngo)
    services.note_add(
        actor=world.case_manager, reference=case.reference, kind="note", text="Secret note"
    )
    client = verified_client(world.ngo_worker)
    html = client.get(f"/casework/{case.reference}/").content.decode()
    assert 'id="plan"' in html and "Secret note" not in html and 'id="attachments"' not in html
    assert "<form" not in html.split('id="plan"')[1].split("</section>")[0]
    r = client.get(f"/casework/{case.reference}/files/1/")
    assert r.status_code == 404


def test_case_page_links_casework(world):
    case = coordination_case(world)
    html = verified_client(world.case_manager).get(f"/cases/{case.reference}/").content.decode()
    assert f"/casework/{case.reference}/" in html


def test_my_cases_on_the_list_and_the_dashboard(world):
    mine = coordination_case(world)
    other = coordination_case(world)
    services.assignment_set(
        actor=world.case_manager, reference=mine.reference, assignee=world.case_manager
    )
    client = verified_client(world.case_manager)
    html = client.get("/cases/?mine=on").content.decode()
    assert mine.reference in html and other.reference not in html
    dashboard = client.get("/").content.decode()
    assert 'id="assigned-to-me"' in dashboard and mine.reference in dashboard


def test_dashboard_shows_days_overdue_and_assignee(world):
    from opennrm.cases.models import Case

    case = coordination_case(world)
    Case.objects.filter(pk=case.pk).update(
        state="referred",
        deadline=timezone.localdate() - timedelta(days=4),
        deadline_kind="rg_decision",
    )
    services.assignment_set(
        actor=world.case_manager, reference=case.reference, assignee=world.coordinator
    )
    html = verified_client(world.case_manager).get("/").content.decode()
    assert "4 days overdue" in html and "assigned to coordinator" in html


def test_calendar_month_and_list(world):
    from opennrm.cases.models import Case

    case = coordination_case(world)
    day = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(rg_due=day)
    client = verified_client(world.case_manager)
    html = client.get(f"/casework/calendar/?year={day.year}&month={day.month}").content.decode()
    assert 'id="month-grid"' in html and 'id="month-list"' in html
    assert html.count(f"/cases/{case.reference}/") == 2  # in the grid and in the list
    html = client.get(f"/casework/calendar/?year={day.year}&month={day.month}&mine=1").content
    assert case.reference not in html.decode()  # not assigned to this user


def test_audit_page_in_words_with_date_range(world):
    case = coordination_case(world)
    services.note_add(actor=world.case_manager, reference=case.reference, kind="note", text="x")
    client = verified_client(world.auditor)
    html = client.get(f"/audit/?object_ref={case.reference}").content.decode()
    assert "Note added" in html and "Case opened" in html
    assert "National Coordination" in html and "Case manager" in html
    tomorrow = timezone.localdate() + timedelta(days=1)
    html = client.get(f"/audit/?date_from={tomorrow.isoformat()}").content.decode()
    assert "Note added" not in html


def test_audit_detail_column_in_words_in_the_readers_language(world):
    audit_record(
        actor=world.officer,
        action="person.update",
        object_type="case",
        object_ref="C-WORDS001",
        detail={"fields": ["given_name"], "to": "presumed_victim", "parts": ["notes"]},
    )
    client = verified_client(world.auditor)
    client.cookies["django_language"] = "uk"
    html = client.get("/audit/?object_ref=C-WORDS001").content.decode()
    detail = html.split('class="detail">', 1)[1].split("</td>", 1)[0]
    for code in ("given_name", "presumed_victim", "fields", "parts", "="):
        assert code not in detail, detail
    assert "поля" in detail and "нотатки" in detail


def test_error_pages_in_the_readers_language(world):
    client = verified_client(world.officer)
    client.cookies["django_language"] = "ru"
    r = client.get("/no-such-page/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Not Found" not in html and "По этому адресу страницы нет" in html


def test_audit_csv_export_is_safe_and_audited(world):
    audit_record(
        actor=world.officer,
        action="case.view",
        object_type="case",
        object_ref="=HYPERLINK(1)",
    )
    client = verified_client(world.auditor)
    r = client.get("/audit/export.csv")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert rows[0][0] == "seq"
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells
    assert "Case viewed" in cells
    assert AuditEntry.objects.filter(action="audit.export", user_id=world.auditor.pk).exists()
    assert verified_client(world.officer).get("/audit/export.csv").status_code == 403


def test_large_upload_stays_in_memory_and_too_large_is_refused(world, settings, monkeypatch):
    from django.core.files import uploadhandler

    def no_temp_file(*args, **kwargs):
        raise AssertionError("an attachment must never be written to a plain temporary file")

    monkeypatch.setattr(uploadhandler, "TemporaryUploadedFile", no_temp_file)
    case = coordination_case(world)
    client = verified_client(world.case_manager)
    url = f"/casework/{case.reference}/files/"
    big = PDF + b"0" * 2_000_000  # over FILE_UPLOAD_MAX_MEMORY_SIZE (1 MB)
    r = client.post(url, {"file-kind": "document", "file-file": SimpleUploadedFile("b.pdf", big)})
    assert r.status_code == 302
    assert Attachment.objects.get(case=case).size == len(big)
    settings.OPENNRM_ATTACHMENT_MAX_BYTES = 1000
    r = client.post(url, {"file-kind": "document", "file-file": SimpleUploadedFile("c.pdf", big)})
    assert r.status_code == 422 and "too large" in r.content.decode()
    assert Attachment.objects.filter(case=case).count() == 1


def test_upload_checks_csrf(world):
    from django.test import Client

    case = coordination_case(world)
    signed_in = verified_client(world.case_manager)
    client = Client(enforce_csrf_checks=True)
    client.cookies = signed_in.cookies
    r = client.post(
        f"/casework/{case.reference}/files/",
        {"file-kind": "document", "file-file": SimpleUploadedFile("a.pdf", PDF)},
    )
    assert r.status_code == 403
    assert not Attachment.objects.exists()
