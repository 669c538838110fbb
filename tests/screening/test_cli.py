"""The ``opennrm screening`` command group, driven with click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from opennrm.cli import main
from opennrm.cli.screening import screening

EX_HOURS = "exploitative_conditions.excessive_working_days_or_hours"
EX_EDU = "exploitative_conditions.no_access_to_education"


def write(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "screening.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_evaluate_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"set": "child_labour", "age": 14, "answers": {EX_HOURS: "yes", EX_EDU: "yes"}}
    )
    result = CliRunner().invoke(screening, ["evaluate", path])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["outcome"] == "presumed_victim"
    assert out["rule_clause"] == "child_exploitation_only"
    assert out["catalogue_version"] == "2026.1"
    assert out["explanation"]["uk"][3].startswith("Умови експлуатації: ВСТАНОВЛЕНО")
    assert "Умови експлуатації" in result.stdout  # not \\u-escaped


def test_evaluate_stdin_through_the_lazy_entry_point() -> None:
    payload = json.dumps({"set": "adult_labour", "age": 30, "answers": {}})
    result = CliRunner().invoke(main, ["screening", "evaluate", "-"], input=payload)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "incomplete"


def test_invalid_input_exit_2_with_fields_on_stderr(tmp_path: Path) -> None:
    path = write(tmp_path, {"set": "adult_labour", "age": 15, "answers": {"x.y": "yes"}})
    result = CliRunner().invoke(screening, ["evaluate", path])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "invalid screening input (2 problems):" in result.stderr
    assert "  age: is under 18: use a child set" in result.stderr
    assert "  answers.x.y: unknown indicator id" in result.stderr


def test_invalid_json_exit_2() -> None:
    result = CliRunner().invoke(screening, ["evaluate", "-"], input="{not json")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid JSON: line 1 column 2")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(screening, ["evaluate", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr


def test_catalogue_table_filtered_in_russian() -> None:
    result = CliRunner().invoke(screening, ["catalogue", "--set", "adult_sexual", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert (
        "== adult_sexual: Взрослые — сексуальная эксплуатация "
        "[реконструировано, не из источника]" in result.stdout
    )
    assert "child_labour" not in result.stdout
    assert "сильный  coercion_at_destination.forced_tasks_or_clients" in result.stdout
    assert "? Вас заставляют выполнять задания" in result.stdout


def test_catalogue_json_all_sets() -> None:
    result = CliRunner().invoke(
        main, ["screening", "catalogue", "--format", "json", "--lang", "uk"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["catalogue_version"] == "2026.1"
    assert [s["id"] for s in out["sets"]] == [
        "adult_labour",
        "adult_sexual",
        "child_labour",
        "child_sexual",
    ]
    first = out["sets"][0]["sections"][0]["questions"][0]
    assert first["label"] == "Обман щодо характеру роботи, місця чи роботодавця"


def test_catalogue_unknown_set_exit_2() -> None:
    result = CliRunner().invoke(screening, ["catalogue", "--set", "adults"])
    assert result.exit_code == 2
    assert "--set: unknown set 'adults'" in result.stderr


def test_evaluate_with_question_texts(tmp_path: Path) -> None:
    path = write(tmp_path, {"set": "adult_labour", "age": 30, "answers": {EX_HOURS: "yes"}})
    result = CliRunner().invoke(screening, ["evaluate", path, "--lang", "ru", "--indent", "0"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["outcome"] == "possible_victim"
    guide = out["next_questions_guide"]
    assert [g["indicator_id"] for g in guide] == out["next_questions"]
    assert guide[0]["dimension"] == "exploitative_conditions"  # one "yes" from the element
    assert guide[0]["questions"][0].endswith("?")
