"""An upload whose start already shows that its import would fail (a picture or a
workbook renamed .csv, a table without the text column) is refused on the form, in the
user's language, before anything is stored or queued; a good file's bytes reach the
worker whole, start and rest."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opennrm.audit.models import AuditEntry
from opennrm.core.errors import ValidationFailed
from opennrm.crypto.files import open_decrypted
from opennrm.online.models import ImportRun
from opennrm.online.services import import_enqueue, import_process, spool_keys
from tests.conftest import verified_client
from tests.online.test_import_errors import _xlsx

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def _page(world, language: str):
    client = verified_client(world.officer)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _nothing_stored(settings) -> bool:
    folder = Path(settings.OPENNRM_IMPORT_DIR)
    spools = list(folder.rglob("*")) if folder.exists() else []
    return not ImportRun.objects.exists() and not spools


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "body", "uk", "en"),
    [
        ("posts.csv", PNG, "це PNG", "it is PNG"),
        ("Оголошення.csv", _xlsx(), "це таблиця (XLSX)", "a spreadsheet (XLSX)"),
        ("result.json", b"\x00\x01\x02binary\x00" * 100, "двійкові дані", "binary data"),
    ],
)
def test_a_binary_file_is_refused_on_the_form_and_nothing_is_queued(
    world, tmp_path, settings, name, body, uk, en
):
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    for language, phrase in (("uk", uk), ("en", en)):
        response = _page(world, language).post(
            reverse("web:online_import"),
            {"file": SimpleUploadedFile(name, body), "time_zone": "Europe/Kyiv"},
        )
        page = response.content.decode()
        assert response.status_code == 422
        assert phrase in page
        assert 'id="choose-again"' in page
        assert 'value="Europe/Kyiv"' in page  # what was typed comes back
    assert _nothing_stored(settings)
    assert not AuditEntry.objects.filter(action="online.import_queue").exists()


@pytest.mark.django_db
def test_a_table_without_the_text_column_is_answered_with_its_columns(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    body = "Дата;Канал;Оголошення\n2026-11-30 10:00;robota;Робота в Польщі, житло\n"
    data = body.encode("cp1251")  # as Excel saves it on a Ukrainian Windows
    url = reverse("web:online_import")
    response = _page(world, "uk").post(url, {"file": SimpleUploadedFile("Вакансії.csv", data)})
    page = response.content.decode()
    assert response.status_code == 422
    # beside the text column's field, with the header's names as the file has them
    assert "Жоден стовпець файлу CSV не має назви" in page and "text, message, content" in page
    assert "Стовпці файлу: «Дата», «Канал», «Оголошення»." in page
    assert _nothing_stored(settings)

    wrong = _page(world, "en").post(
        url, {"file": SimpleUploadedFile("v.csv", data), "text_column": "Текст"}
    )
    assert wrong.status_code == 422
    assert "no text column “Текст”. Its columns are: “Дата”, “Канал”" in wrong.content.decode()
    assert 'value="Текст"' in wrong.content.decode()  # kept for correcting

    right = _page(world, "uk").post(
        url, {"file": SimpleUploadedFile("v.csv", data), "text_column": "Оголошення"}
    )
    assert right.status_code == 302
    run = import_process(run_id=ImportRun.objects.get().pk)
    run.refresh_from_db()
    assert (run.state, run.stored) == ("done", 1)


@pytest.mark.django_db
def test_the_service_names_the_code_and_field(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    with pytest.raises(ValidationFailed) as caught:
        import_enqueue(actor=world.officer, chunks=[b"a,b\n1,2\n"], source_name="x.csv")
    assert caught.value.field == "text_column"
    assert caught.value.details == [{"code": "csv.no_text_column", "columns": "“a”, “b”"}]
    with pytest.raises(ValidationFailed) as caught:
        import_enqueue(actor=world.officer, chunks=[PNG[:5], PNG[5:]], source_name="x.jsonl")
    assert (caught.value.field, caught.value.details) == ("file", [{"code": "ingest.binary"}])
    assert _nothing_stored(settings)


@pytest.mark.django_db
@pytest.mark.parametrize("piece", [1000, 64 * 1024, 64 * 1024 + 7, 300_000])
def test_a_good_upload_reaches_the_worker_whole_however_it_was_streamed(
    world, tmp_path, settings, piece
):
    """The start is held back to be checked, then written before the rest: the stored
    file is the upload, byte for byte, and imports every row."""
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    rows = [f"{i},Робота в Польщі номер {i}, житло та квиток оплачуємо\n" for i in range(6000)]
    body = ("id,text\n" + "".join(rows)).encode()
    assert len(body) > 3 * 64 * 1024
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
    run = import_enqueue(actor=world.officer, chunks=iter(pieces), source_name="big.csv")
    with open_decrypted(Path(run.upload_path), keys=spool_keys()) as plain:
        assert plain.read() == body
    entry = AuditEntry.objects.get(action="online.import_queue")
    assert entry.detail["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry.detail["bytes"] == len(body)


@pytest.mark.django_db
def test_a_compressed_web_archive_is_not_taken_for_a_binary_file(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    html = b"<html><body><p>Robota v Polshchi, zhytlo bezkoshtovno</p></body></html>"
    record = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://a.example/\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        + f"Content-Length: {len(html) + 44}\r\n\r\n".encode()
        + b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
        + html
        + b"\r\n\r\n"
    )
    for name in ("crawl.warc.gz", "crawl.bin"):
        run = import_enqueue(actor=world.officer, chunks=[gzip.compress(record)], source_name=name)
        import_process(run_id=run.pk)
        run.refresh_from_db()
        assert (run.state, run.stored + run.duplicates) == ("done", 1), run.problems
