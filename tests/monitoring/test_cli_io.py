from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import stix2
from click.testing import CliRunner

from opennrm.cli import main

ADS = "id;message\n1;Робота в Польщі +48 512 345 678 @jobs_pl\n2;hr@x.example https://x.example\n"


@pytest.fixture
def ads(tmp_path: Path) -> Path:
    path = tmp_path / "ads.csv"
    path.write_bytes(ADS.encode("cp1251"))
    return path


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["monitor", *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_ingest_is_idempotent_with_checkpoint(ads: Path, tmp_path: Path) -> None:
    out, seen = tmp_path / "posts.jsonl", tmp_path / "seen.txt"
    code, _, err = run("ingest", ads, "--output", out, "--checkpoint", seen)
    assert code == 0
    assert "read 2, ok 2, skipped 0, duplicates 0" in err
    code, _, err = run("ingest", ads, "--output", out, "--checkpoint", seen)
    assert code == 0 and "ok 0, skipped 0, duplicates 2" in err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["text"] == "Робота в Польщі +48 512 345 678 @jobs_pl"


def test_ingest_lists_problems(tmp_path: Path) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text('{"text": "a"}\n{broken\n{"text": "b"}\n', encoding="utf-8")
    code, _, err = run("ingest", src, "-o", tmp_path / "o.jsonl")
    assert code == 0
    assert "read 3, ok 2, skipped 1" in err
    assert "p.jsonl:2: invalid JSON" in err


def test_extract_csv(ads: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, _, _ = run("extract", "--input", ads, "--output", out, "--regions", "PL,UA")
    assert code == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["id"] == "1"
    assert rows[0]["phones"] == "+48512345678"
    assert rows[0]["handles"] == "telegram:@jobs_pl"
    assert rows[1]["emails"] == "hr@x.example" and rows[1]["urls"] == "https://x.example"


def test_extract_jsonl_posts(ads: Path, tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    run("ingest", ads, "-o", posts)
    out = tmp_path / "out.csv"
    code, _, _ = run("extract", "-i", posts, "-o", out)
    assert code == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["phones"] for r in rows] == ["+48512345678", ""]
    assert rows[0]["record"] == "ads.csv:2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract", "-i", "{ads}", "-o", "{tmp}/o", "--text-column", "nope"], "no column 'nope'"),
        (["extract", "-i", "{tmp}/missing.csv", "-o", "{tmp}/o.csv"], "missing.csv: no such file"),
        (["extract", "-i", "{ads}", "-o", "{tmp}/o", "--encoding", "klingon"], "unknown encoding"),
        (["ingest", "{tmp}/missing.json", "-o", "{tmp}/o.jsonl"], "missing.json: no such file"),
        (["ingest", "{ads}", "-o", "{tmp}/o", "--text-column", "body"], "ads.csv: no text column"),
        (["export", "-i", "{ads}", "-o", "{tmp}/b.json", "--text-column", "x"], "no text column"),
    ],
)  # fmt: skip
def test_input_errors_exit_2(ads: Path, tmp_path: Path, args: list[str], message: str) -> None:
    filled = [a.format(ads=ads, tmp=tmp_path) for a in args]
    code, _, err = run(*filled)
    assert code == 2
    assert message in err


def test_extract_huge_field(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    src.write_text("text\n" + "слово " * 40_000 + "+48 512 345 678\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    code, _, _ = run("extract", "-i", src, "-o", out)
    assert code == 0
    assert "+48512345678" in out.read_text(encoding="utf-8")


def test_export_stix(ads: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    code, _, err = run("export", "-i", ads, "--format", "stix", "-o", out, "--victim-related")
    assert code == 0 and "wrote 5 indicators from 2 posts" in err
    bundle = stix2.parse(out.read_text(encoding="utf-8"), allow_custom=True)
    assert any(o.type == "marking-definition" and o.name == "TLP:RED" for o in bundle.objects)
