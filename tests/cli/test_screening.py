"""`opennrm screening` says its messages in en, uk or ru; its JSON is the same in all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opennrm.cli import _i18n, main
from opennrm.cli.screening import _FIELD_ERRORS, _STRENGTHS
from opennrm.screening._errors import FIELD_ERROR_CODES

EX_HOURS = "exploitative_conditions.excessive_working_days_or_hours"


def run(*args: object, stdin: str | None = None, env: dict | None = None) -> Result:
    result = CliRunner().invoke(main, ["screening", *map(str, args)], input=stdin, env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_bad_input_lists_every_problem_in_ukrainian() -> None:
    payload = {
        "set": "adult_labour",
        "age": 15,
        "answers": {"coercion_at_destination.debt_bondag": "yes", EX_HOURS: 3, "Bad Id": "no"},
        "name": "not a key",
    }
    result = run("--language", "uk", "evaluate", "-", stdin=json.dumps(payload))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Помилка: недійсні дані скринінгу (1 проблема):",
        "  payload.name: неочікуваний ключ",
    ]
    del payload["name"]
    result = run("evaluate", "-", "--language", "uk", stdin=json.dumps(payload))
    assert result.stderr.splitlines() == [
        "Помилка: недійсні дані скринінгу (4 проблеми):",
        "  age: менше 18: використайте дитячий набір (child_labour або child_sexual), "
        "а не adult_labour",
        "  answers.coercion_at_destination.debt_bondag: невідомий ідентифікатор індикатора; "
        "можливо, ви мали на увазі coercion_at_destination.debt_bondage?",
        f"  answers.{EX_HOURS}: неприпустима відповідь (число); використайте yes, no або unknown",
        "  answers[#3]: це не ідентифікатор індикатора (лише a-z, 0-9, '_' і '.')",
    ]
    english = run("evaluate", "-", stdin=json.dumps(payload))
    assert english.stderr.startswith("Error: invalid screening input (4 problems):\n  age: ")


def test_invalid_json_in_russian_from_the_locale() -> None:
    env = {"OPENNRM_LANGUAGE": None, "LC_ALL": None, "LANG": "ru_RU.UTF-8"}
    result = run("evaluate", "-", stdin="{not json", env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("Ошибка: недопустимый JSON: строка 1, позиция 2: ")


def test_the_json_answer_is_the_same_in_every_language() -> None:
    payload = json.dumps({"set": "adult_labour", "age": 30, "answers": {EX_HOURS: "yes"}})
    outputs = {lang: run("evaluate", "-", "--language", lang, stdin=payload) for lang in ["en", "uk", "ru"]}  # fmt: skip
    assert all(r.exit_code == 0 for r in outputs.values())
    assert len({r.stdout for r in outputs.values()}) == 1
    catalogues = {lang: run("--language", lang, "catalogue", "--format", "json").stdout for lang in ("en", "uk")}  # fmt: skip
    assert catalogues["en"] == catalogues["uk"]  # JSON: English unless --lang says otherwise
    assert json.loads(catalogues["uk"])["sets"][0]["label"].startswith("Adults")


def test_catalogue_table_speaks_the_language_without_raw_codes() -> None:
    result = run("catalogue", "--set", "child_labour", env={"OPENNRM_LANGUAGE": "uk"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Каталог скринінгу OpenNRM 2026.1"
    assert "== child_labour: Діти (до 18 років) — трудова експлуатація [одне вторинне джерело]" in (
        lines
    )
    strengths = {line.split()[0] for line in lines if line[:2] == "  " and line[2] != " "}
    assert strengths <= {"сильний", "середній", "слабкий"} and "сильний" in strengths
    result = run("catalogue", "--set", "nope", "--language", "ru")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Ошибка: --set: неизвестный набор 'nope'; используйте один из: "
    )


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_every_input_problem_and_strength_has_a_sentence(lang: str) -> None:
    assert set(_FIELD_ERRORS) == set(FIELD_ERROR_CODES)
    catalogue = _i18n.translations(lang)
    for sentence in [*_FIELD_ERRORS.values(), *_STRENGTHS.values()]:
        said = catalogue.gettext(sentence)
        assert said != sentence or sentence in ("null", "true/false"), sentence


def test_missing_file_still_exits_2(tmp_path: Path) -> None:
    result = run("evaluate", tmp_path / "missing.json", "--language", "uk")
    assert result.exit_code == 2
