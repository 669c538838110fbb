"""``opennrm monitor train|score|cluster`` on plain CSV files."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from opennrm.cli import main

SPAM = [
    "Работа на дому, доход от {n} в день, пишите в лс",
    "Робота за кордоном, житло надається, оплата {n} євро",
    "Easy money from home, earn {n} per day, DM me",
]
HAM = [
    "Кто знает, во сколько открывается вокзал {n}?",
    "Дякую всім, документи на візу вже подали {n}",
    "Does anyone know a dentist near station {n}?",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("cli") / "posts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "body", "is_spam"])
        for i in range(60):
            label = i % 2
            template = (SPAM if label else HAM)[i % 3]
            writer.writerow([i, template.format(n=rng.randint(10, 99)), "true" if label else "no"])
    return path


@pytest.fixture(scope="module")
def model_dir(data: Path) -> Path:
    out = data.parent / "model"
    result = CliRunner().invoke(
        main,
        ["monitor", "train", "--input", str(data), "--text-column", "body",
         "--label-column", "is_spam", "--model", str(out), "--folds", "3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "combined" in result.output and "Brier" in result.output
    return out


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_train_writes_manifest(model_dir: Path) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text("utf-8"))
    assert manifest["n_samples"] == 60
    assert len(manifest["training_data_sha256"]) == 64
    assert 0 < manifest["threshold"] < 1


def test_score_adds_columns(data: Path, model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(
        main,
        ["monitor", "score", "--model", str(model_dir), "--input", str(data),
         "--text-column", "body", "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert list(rows[0]) == ["id", "body", "is_spam", "risk", "flagged", "category", "reasons"]
    assert len(rows) == 60
    for row in rows:
        assert 0.0 <= float(row["risk"]) <= 1.0
        assert row["flagged"] == ("1" if row["is_spam"] == "true" else "0")
        assert row["category"] in (("recruitment", "spam") if row["flagged"] == "1" else ("",))
    assert "n-gram" in rows[1]["reasons"]
    assert "60 posts" in result.output


def test_cluster_adds_ids_and_templates(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "clustered.csv"
    templates = tmp_path / "t.json"
    result = CliRunner().invoke(
        main,
        ["monitor", "cluster", "--input", str(data), "--text-column", "body",
         "--output", str(out), "--templates", str(templates)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = read(out)
    by_template: dict[int, set[str]] = {}
    for i, row in enumerate(rows):
        by_template.setdefault((i % 2) * 3 + i % 3, set()).add(row["cluster_id"])
    assert all(len(ids) == 1 for ids in by_template.values())
    assert len({next(iter(ids)) for ids in by_template.values()}) == 6
    doc = json.loads(templates.read_text("utf-8"))
    assert len(doc["campaigns"]) == 6
    assert all("{…}" in c["template"] for c in doc["campaigns"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-column", "text"], "no column 'text'"),
        (["--text-column", "body", "--label-column", "id"], "label '2' is not 0/1"),
    ],
)
def test_train_input_errors(data: Path, tmp_path: Path, args: list[str], message: str) -> None:
    base = ["monitor", "train", "--input", str(data), "--model", str(tmp_path / "m")]
    if "--label-column" not in args:
        args = [*args, "--label-column", "is_spam"]
    result = CliRunner().invoke(main, base + args)
    assert result.exit_code == 2
    assert message in result.output and str(data) in result.output


def test_unreadable_and_missing_files_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text\n\xff\xfe\xfa broken\n")
    for path in (bad, tmp_path / "missing.csv"):
        result = CliRunner().invoke(
            main,
            ["monitor", "cluster", "--input", str(path), "--text-column", "text",
             "--output", str(tmp_path / "o.csv")],
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        assert str(path) in result.output


def test_bad_model_directory_exits_2(data: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["monitor", "score", "--model", str(tmp_path), "--input", str(data),
         "--text-column", "body", "--output", str(tmp_path / "o.csv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "not a model directory" in result.output


def test_cluster_on_dask_writes_the_same_file(data: Path, tmp_path: Path) -> None:
    outputs = []
    for extra in ([], ["--dask-workers", "2"]):
        out = tmp_path / f"c{len(extra)}.csv"
        result = CliRunner().invoke(
            main,
            ["monitor", "cluster", "--input", str(data), "--text-column", "body",
             "--output", str(out), "--batch-size", "16", *extra],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_semicolon_csv_keeps_its_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(
        "nr;tekst\n1;Praca za granicą, zakwaterowanie zapewnione\n2;Dzień dobry\n", "utf-8"
    )
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(
        main,
        ["monitor", "score", "--input", str(path), "--text-column", "tekst", "--output", str(out)],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text("utf-8").splitlines()
    assert lines[0] == "nr;tekst;risk;flagged;category;reasons"
    assert lines[1].startswith("1;Praca za granicą, zakwaterowanie zapewnione;0.3")


def test_train_takes_several_files_and_a_directory(data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    rows = read(data)
    for name, part in (("a.csv", rows[:30]), ("b.csv", rows[30:])):
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["id", "body", "is_spam"])
            writer.writeheader()
            writer.writerows(part)
    out = tmp_path / "m"
    result = CliRunner().invoke(
        main,
        ["monitor", "train", "--input", str(data), "--input", str(folder),
         "--text-column", "body", "--label-column", "is_spam", "--model", str(out),
         "--false-alarm-rate", "0.05"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "from 3 files" in result.output
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["n_samples"] == 120
    assert "at most 5.00% of ordinary rows" in manifest["threshold_rule"]


def test_train_refuses_an_empty_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["monitor", "train", "--input", str(tmp_path), "--text-column", "body",
         "--label-column", "is_spam", "--model", str(tmp_path / "m")],
    )  # fmt: skip
    assert result.exit_code != 0 and "no .csv file" in result.output
