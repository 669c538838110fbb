"""A file that cannot be imported at all says why in the reader's language (the run keeps
a code and its values, never the file's name or what was read from it); runs stored with
an English sentence before codes existed still show it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import override

from opennrm.core.errors import ValidationFailed
from opennrm.online.models import ImportRun, ImportState
from opennrm.online.services import import_process, online_import
from tests.conftest import verified_client

NAME = "ivan-petrenko-contacts"  # a file name can name a person


def _csv(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / f"{NAME}.csv"
    path.write_bytes(data)
    return path


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


# kind -> (how to make it, code, params, a Ukrainian phrase, its English counterpart)
KINDS = {
    "no_text_column": (
        lambda tmp: (_csv(tmp, "Іван Петренко,+380501234567\n1,2\n".encode()), {}),
        "csv.no_text_column",
        {
            "wanted": "text/message/content/body/post/текст/повідомлення/сообщение/допис/пост",
            "columns": 2,
        },
        "немає стовпця з текстом",
        "no text column",
    ),
    "header_encoding": (
        lambda tmp: (_csv(tmp, b"\xef\xbb\xbfte\xffxt,b\n1,2\n"), {}),  # a BOM, then not UTF-8
        "csv.header_encoding",
        {"encoding": "utf-8-sig"},
        "не є текстом у кодуванні utf-8-sig",
        "are not text in the encoding",
    ),
    "unreadable": (
        lambda tmp: (tmp / NAME, {}),  # gone before the worker took it
        "ingest.unreadable",
        {"errno": "ENOENT"},
        "не вдалося відкрити",
        "could not be opened",
    ),
    "format": (
        lambda tmp: (_csv(tmp, b"text\nhi\n"), {"fmt": "pdf"}),
        "ingest.format",
        {"format": "pdf"},
        "формат pdf не підтримується",
        "is not one the import reads",
    ),
    # a screenshot renamed .csv: said so, not "no text column (columns in the file: 1)"
    "binary": (
        lambda tmp: (_csv(tmp, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), {}),
        "ingest.binary",
        {"kind": "PNG"},
        "файл не текстовий: це PNG",
        "the file is not text: it is PNG",
    ),
    "spreadsheet": (
        lambda tmp: (_csv(tmp, _xlsx()), {}),
        "ingest.binary_spreadsheet",
        {"kind": "XLSX"},
        "збережіть як CSV (UTF-8)",
        "save it as CSV (UTF-8)",
    ),
    "binary_data": (
        lambda tmp: (_csv(tmp, b"text\n\x00\x01\x02\x00\n"), {}),
        "ingest.binary_data",
        {},
        "у ньому двійкові дані",
        "it holds binary data",
    ),
    "time_zone": (
        lambda tmp: (_csv(tmp, b"text\nhi\n"), {"time_zone": "Mars/Olympus"}),
        "time_zone",
        {"zone": "Mars/Olympus"},
        "невідомий часовий пояс Mars/Olympus",
        "unknown time zone",
    ),
}


def _failed_run(world, tmp_path: Path, kind: str) -> ImportRun:
    make = KINDS[kind][0]
    path, extra = make(tmp_path)
    run = ImportRun.objects.create(  # as queued by an upload (the worker's path)
        agency_id=world.officer.agency_id,
        imported_by=world.officer,
        source_name=path.name,
        state=ImportState.QUEUED,
        upload_path=str(path),
        **extra,
    )
    return import_process(run_id=run.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_failure_is_stored_as_a_code_and_shown_in_the_readers_language(world, tmp_path, kind):
    _make, code, params, ukrainian, english = KINDS[kind]
    run = _failed_run(world, tmp_path, kind)
    run.refresh_from_db()
    assert (run.state, run.error, run.error_params) == ("failed", code, params)
    client = verified_client(world.officer)
    url = reverse("web:online_import_run", args=[run.pk])
    for headers in ({"HTTP_ACCEPT_LANGUAGE": "uk"}, {"HTTP_HX_REQUEST": "true"}):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
        page = client.get(url, **headers).content.decode()
        assert "Файл не вдалося імпортувати" in page and ukrainian in page
        assert english not in page and code not in page
        assert "Петренко" not in page and str(tmp_path) not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    page = client.get(url).content.decode()
    assert english not in page and code not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert english in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_command_line_import_raises_the_reason_in_the_active_language(world, tmp_path):
    path = _csv(tmp_path, b"a,b\n1,2\n")
    with override("uk"), pytest.raises(ValidationFailed) as caught:
        online_import(actor=world.officer, path=path, source_name=path.name)
    assert caught.value.message.startswith("Файл не вдалося імпортувати: у файлі CSV немає")
    assert caught.value.field == "file" and NAME not in caught.value.message
    with override("en"), pytest.raises(ValidationFailed, match="no text column “body”"):
        online_import(actor=world.officer, path=path, source_name=path.name, text_column="body")


def _legacy_failed_run(world, error: str) -> ImportRun:
    """A failed run stored before codes existed: its reason an English sentence."""
    return ImportRun.objects.create(
        agency_id=world.officer.agency_id,
        imported_by=world.officer,
        source_name="old.csv",
        state=ImportState.FAILED,
        error=error,
    )


@pytest.mark.django_db
def test_a_reason_stored_before_codes_still_shows(world):
    run = _legacy_failed_run(world, "old.csv: no text column 'text/message'; columns are: a, b")
    page = verified_client(world.officer).get(
        reverse("web:online_import_run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="uk"
    )
    assert "no text column &#x27;text/message&#x27;; columns are: a, b" in page.content.decode()


def test_a_code_with_missing_values_says_a_general_reason():
    with override("en"):
        run = ImportRun(error="csv.header_encoding", error_params={})
        assert run.error_text == "the file cannot be read."
        assert ImportRun(error="gave_up").error_text.startswith("The import stopped each time")


@pytest.mark.django_db(transaction=True)
def test_the_api_gives_the_code_and_the_reason_in_the_request_language(world, tmp_path, api):
    run = _failed_run(world, tmp_path, "no_text_column")
    legacy = _legacy_failed_run(world, "old.csv: no text column 'text'; columns are: a, b")
    client = api(world.officer)
    body = client.get(f"/online/imports/{run.pk}", headers={"Accept-Language": "uk"}).json()
    assert body["state"] == "failed" and body["error_code"] == "csv.no_text_column"
    assert body["error_params"] == {
        "wanted": "text/message/content/body/post/текст/повідомлення/сообщение/допис/пост",
        "columns": 2,
    }
    assert body["error"].startswith("у файлі CSV немає стовпця з текстом «text/message")
    assert "Петренко" not in str(body) and str(tmp_path) not in str(body)
    body = client.get(f"/online/imports/{run.pk}", headers={"Accept-Language": "ru"}).json()
    assert body["error"].startswith("в файле CSV нет столбца с текстом")
    body = client.get(f"/online/imports/{legacy.pk}", headers={"Accept-Language": "uk"}).json()
    assert (body["error_code"], body["error"]) == (None, legacy.error)
    # another agency's import looks missing
    assert api(world.border_guard).get(f"/online/imports/{run.pk}").status_code == 404


@pytest.mark.django_db
def test_the_command_line_says_the_reason_without_the_path(world, tmp_path):
    from click.testing import CliRunner

    from opennrm.cli import main

    path = _csv(tmp_path, b"a,b\n1,2\n")
    result = CliRunner().invoke(main, ["online", "import", str(path), "--user", "officer"])
    assert result.exit_code == 1, result.output
    assert "The file could not be imported: the CSV file has no text column" in result.output
    assert str(tmp_path) not in result.output and NAME not in result.output


@pytest.mark.django_db
def test_a_missing_import_is_said_in_the_request_language(world, api):
    answer = api(world.officer).get("/online/imports/999999", headers={"Accept-Language": "uk"})
    assert answer.status_code == 404
    assert answer.json()["message"] == "Такого імпорту немає або у вас немає до нього доступу."


@pytest.mark.django_db
def test_the_command_line_reports_in_the_users_language(world, tmp_path):
    from click.testing import CliRunner

    from opennrm.cli import main

    rows = ["text,date"] + [f"Робота в Польщі {i},2026-11-0{i % 9 + 1}" for i in range(3)]
    rows += ["Робота в Польщі без дати,не дата", "зайве,поле,тут", *([",a,b"] * 21)]
    path = _csv(tmp_path, ("\n".join(rows) + "\n").encode())
    world.officer.preferred_language = "uk"
    world.officer.save(update_fields=["preferred_language"])
    args = ["online", "import", str(path), "--user", "officer"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "прочитано 26, збережено 4, пропущено 22, повторів 0" in result.output
    assert f"{NAME}.csv:5: Нечитабельна дата" in result.output  # kept, its date unknown
    assert "Неправильна кількість полів: 3, у заголовку 2; пропущено." in result.output
    assert "… і ще 3: див. сторінку імпорту." in result.output  # 23 problems, 20 shown
    assert "skipped" not in result.output and "read " not in result.output
    result = CliRunner().invoke(main, [*args, "--language", "en"])
    assert "read 26, stored 0, skipped 22, duplicates 4" in result.output
    assert "Wrong number of fields: 3, the header has 2; skipped." in result.output
    result = CliRunner().invoke(main, [*args[:3], "--user", "nobody", "--language", "ru"])
    assert result.exit_code == 1 and "Нет активного пользователя nobody." in result.output
