"""`opennrm online ...` says everything in en, uk or ru.

The language is ``--language`` (the command's or the group's), else the named user's own
(``online import``), else OPENNRM_LANGUAGE, else the locale, else English. The CSV that
``online feedback`` writes is the same in every language.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opennrm.cli import main
from opennrm.online import model as online_model
from opennrm.online.models import Feedback, MonitoredPost
from opennrm.online.services import online_import

pytestmark = pytest.mark.django_db

SPAM = "Работа за границей для девушек, {n} евро в день, пиши в лс @job{n}"
HAM = "Подскажите, во сколько завтра пара номер {n}?"
NO_LOCALE = {"OPENNRM_LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}


def run(*args: object, env: dict[str, str | None] | None = None) -> Result:
    result = CliRunner().invoke(main, ["online", *map(str, args)], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def fresh(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path / "var"
    settings.OPENNRM_MONITORING_MODEL = ""
    monkeypatch.setenv("OPENNRM_SHARED_DATA", str(tmp_path / "no-shared-data"))
    monkeypatch.setattr(online_model, "UKRAINIAN_PARAGRAPHS", 0)
    monkeypatch.chdir(tmp_path)
    online_model._cache.clear()
    yield tmp_path
    online_model._cache.clear()


def _shared(base: Path) -> Path:
    folder = base / "telegram-spam-ru"
    folder.mkdir(parents=True)
    with (folder / "train.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["label", "message"])
        for i in range(40):
            writer.writerow([i % 2, (SPAM if i % 2 else HAM).format(n=i)])
    return base


def test_retrain_without_data_says_why_in_the_locale_language(world, fresh) -> None:
    result = run("retrain", env={**NO_LOCALE, "LANG": "uk_UA.UTF-8"})
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Помилка: позначених дописів: 0, з них позитивних: 0; для навчання потрібно щонайменше "
        "10 кожного виду. Позначте більше дописів у черзі або навчайте разом зі спільними даними."
    )
    result = run("--language", "ru", "retrain")
    assert result.output.startswith("Ошибка: размеченных сообщений: 0, из них положительных: 0;")
    result = run("retrain")  # OPENNRM_LANGUAGE=en in tests
    assert result.output.startswith("Error: labelled posts: 0, of them positive: 0;")


def test_retrain_reports_in_russian_with_decimal_commas(world, fresh, monkeypatch) -> None:
    monkeypatch.setenv("OPENNRM_SHARED_DATA", str(_shared(fresh / "shared")))
    path = fresh / "posts.jsonl"
    path.write_text('{"text": "Работа за границей для девушек, 300 евро"}\n', "utf-8")
    online_import(actor=world.officer, path=path, source_name="p")
    post = MonitoredPost.objects.get()
    Feedback.objects.create(post=post, label=1, given_by=world.officer)
    result = run("retrain", "--language", "ru", env={"OPENNRM_LANGUAGE": "uk"})
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"обучено на 41 сообщениях \(telegram-spam-ru, оценки проверяющих \(1\)\); точность на "
        r"отложенных блоках \d,\d{3}, полнота \d,\d{3}; сохранено в .*monitoring-model\n",
        result.output,
    ), result.output
    result = run("retrain", env={"OPENNRM_LANGUAGE": None, "LANG": "uk_UA.UTF-8"})
    assert "навчено на 41 дописах (telegram-spam-ru, оцінки перевіряльників (1));" in (
        result.output
    )
    english = run("retrain")
    assert re.match(
        r"trained on 41 posts \(telegram-spam-ru, reviewers' feedback \(1\)\); out-of-fold "
        r"precision \d\.\d{3}, recall \d\.\d{3}; saved to ",
        english.output,
    ), english.output


def test_feedback_says_how_many_in_ukrainian_and_writes_the_same_csv(world, fresh) -> None:
    path = fresh / "posts.jsonl"
    path.write_text(
        "".join(f'{{"text": "{SPAM.format(n=i)}"}}\n' for i in range(3)), encoding="utf-8"
    )
    online_import(actor=world.officer, path=path, source_name="p")
    for post in MonitoredPost.objects.all():
        Feedback.objects.create(post=post, label=1, given_by=world.officer)
    result = run(
        "feedback",
        "--user",
        world.officer.username,
        "--output",
        fresh / "uk.csv",
        "--language",
        "uk",
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"3 позначені дописи записано в {fresh / 'uk.csv'}\n"
    result = run(
        "--language",
        "ru",
        "feedback",
        "--user",
        world.officer.username,
        "--output",
        fresh / "ru.csv",
    )
    assert result.output == f"3 размеченных сообщения записано в {fresh / 'ru.csv'}\n"
    result = run(
        "feedback",
        "--user",
        world.officer.username,
        "--output",
        fresh / "en.csv",
        "--language",
        "en",
    )
    assert result.output == f"3 labelled posts written to {fresh / 'en.csv'}\n"
    same = {(fresh / f"{lang}.csv").read_bytes() for lang in ("uk", "ru", "en")}
    assert len(same) == 1 and next(iter(same)).startswith(b"message,label\r\n")
    result = run(
        "feedback",
        "--user",
        world.officer.username,
        "--output",
        fresh / "no" / "folder.csv",
        "--language",
        "uk",
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Помилка: {fresh / 'no' / 'folder.csv'}: не вдається записати (такого файлу або теки "
        "немає)\n"
    )


def test_import_the_users_language_wins_over_the_environment(world, tmp_path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("text,date\nРобота в Польщі,2026-11-02\nзайве,поле,тут\n", encoding="utf-8")
    args = ["import", path, "--user", "officer"]
    world.officer.preferred_language = "uk"
    world.officer.save(update_fields=["preferred_language"])
    result = run(*args, env={"OPENNRM_LANGUAGE": "ru", "LANG": "ru_RU.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "прочитано 2, збережено 1, пропущено 1, повторів 0" in result.output
    assert "Неправильна кількість полів: 3, у заголовку 2; пропущено." in result.output
    # --language, on the group or the command, wins over the user's
    result = run("--language", "ru", *args)
    assert "прочитано 2, сохранено 0, пропущено 1, повторов 1" in result.output
    # a user without a language of their own: the environment's
    world.officer.preferred_language = ""
    world.officer.save(update_fields=["preferred_language"])
    result = run(*args, env={**NO_LOCALE, "LANG": "ru_RU.UTF-8"})
    assert "прочитано 2, сохранено 0, пропущено 1, повторов 1" in result.output
    result = run(*args, env={"OPENNRM_LANGUAGE": None, "LANG": "uk_UA.UTF-8", "LC_ALL": "C"})
    assert "read 2, stored 0, skipped 1, duplicates 1" in result.output
    # no such user: said in the environment's language, with a translated "Error:"
    result = run("import", path, "--user", "nobody", env={"OPENNRM_LANGUAGE": "uk"})
    assert result.exit_code == 1
    assert result.output == "Помилка: Немає активного користувача nobody.\n"


def test_feedback_is_one_agencys_labels_in_a_file_of_its_owner_and_audited(world, fresh) -> None:
    import os
    import stat

    from opennrm.audit.models import AuditEntry

    for actor, text in ((world.officer, SPAM), (world.border_guard, HAM)):
        path = fresh / f"{actor.username}.jsonl"
        path.write_text(
            "".join(f'{{"text": "{text.format(n=i)}"}}\n' for i in range(2)), encoding="utf-8"
        )
        online_import(actor=actor, path=path, source_name="p")
    for post in MonitoredPost.objects.all():
        Feedback.objects.create(post=post, label=1, given_by=world.officer)
    out = fresh / "labels.csv"
    out.write_text("old", encoding="utf-8")
    os.chmod(out, 0o644)
    result = run("feedback", "--user", world.officer.username, "--output", out, "--language", "en")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2 and all("@job" in r["message"] for r in rows)  # not the other agency's
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    entry = AuditEntry.objects.get(action="online.feedback_export")
    mine = MonitoredPost.objects.filter(agency=world.officer.agency)
    assert entry.user_id == world.officer.pk
    assert sorted(entry.detail["posts"]) == sorted(mine.values_list("pk", flat=True))
    assert "@job" not in str(entry.detail)
    # an analyst (no monitoring role) gets nothing, and no file
    result = run("feedback", "--user", world.analyst.username, "--output", fresh / "a.csv")
    assert result.exit_code == 1 and not (fresh / "a.csv").exists()
    result = run("feedback", "--user", "nobody", "--output", fresh / "b.csv", "--language", "uk")
    assert result.exit_code == 1 and "nobody" in result.output


@pytest.mark.django_db
def test_a_command_line_import_records_who_ran_it_and_where(world, tmp_path) -> None:
    """``--user`` names the acting user; the operator at the terminal is recorded too, so an
    auditor can tell a command-line import from an upload (not the file's name: it may
    name someone)."""
    import getpass
    import json
    import socket

    from django.utils import translation

    from opennrm.audit.models import AuditEntry
    from opennrm.casework.audit_labels import ACTION_LABELS, detail_words

    path = tmp_path / "Гнатюк 0671234567.jsonl"
    path.write_text('{"text": "Робота в Польщі, пишіть @rabota_pl"}\n', encoding="utf-8")
    result = run("import", path, "--user", "officer")
    assert result.exit_code == 0, result.output
    (entry,) = AuditEntry.objects.filter(action="online.import_command")
    assert entry.user_id == world.officer.pk and entry.object_type == "import"
    assert entry.detail["os_user"] == getpass.getuser()
    assert entry.detail["host"] == socket.gethostname()[:64]
    assert entry.detail["bytes"] == path.stat().st_size and entry.detail["file_type"] == "jsonl"
    assert "Гнатюк" not in json.dumps(entry.detail, ensure_ascii=False)
    assert not AuditEntry.objects.filter(action="online.import_queue").exists()
    with translation.override("uk"):
        assert str(ACTION_LABELS[entry.action]) == "Онлайн-дописи завантажено з командного рядка"
        words = dict(detail_words(entry.detail))
        assert words["обліковий запис операційної системи"] == getpass.getuser()
