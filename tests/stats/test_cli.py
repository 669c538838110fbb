from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from opennrm.cli import main
from opennrm.privacy import is_k_anonymous
from opennrm.stats.models import PrivacySpend
from tests.stats.factories import make_population
from tests.stats.test_services import QI

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def population(world):
    make_population(world, 250)
    return world


def run(*args: str):
    return CliRunner().invoke(main, ["stats", *args])


def test_tables(population, tmp_path):
    out = tmp_path / "tables"
    result = run(
        "tables",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--output",
        str(out),
        "--user",
        "analyst",
    )
    assert result.exit_code == 0, result.output
    assert (out / "tables.xlsx").exists()
    text = (out / "uk_exploitation_by_gender.csv").read_text()
    assert "Small-cell suppression" in text


def test_export_htcds(population, tmp_path):
    target = tmp_path / "htcds.csv"
    result = run(
        "export",
        "--format",
        "htcds",
        "--k",
        "11",
        "--from",
        "2025-01-01",
        "--output",
        str(target),
        "--user",
        "analyst",
    )
    assert result.exit_code == 0, result.output
    with target.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and is_k_anonymous(rows, QI, 11)
    assert "k = 11" in result.output


def test_bad_input_is_a_message_and_writes_nothing(population, tmp_path, settings):
    settings.OPENNRM_STATS_EPSILON_PER_YEAR = 1.0
    target = tmp_path / "x.csv"
    cases = [
        (
            "export",
            "--k",
            "900",
            "--from",
            "2025-01-01",
            "--output",
            str(target),
            "--country",
            "UA",
        ),
        (
            "export",
            "--from",
            "2019-01-01",
            "--to",
            "2019-12-31",
            "--output",
            str(target),
            "--country",
            "UA",
        ),
        (
            "tables",
            "--from",
            "2025-06-01",
            "--to",
            "2025-01-01",
            "--output",
            str(tmp_path / "t"),
            "--country",
            "UA",
        ),
        (
            "synthetic",
            "--epsilon",
            "2",
            "--rows",
            "10",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--output",
            str(target),
            "--country",
            "UA",
        ),
        ("report", "--year", "2999", "--output", str(tmp_path / "r.pdf"), "--country", "UA"),
        ("tables", "--output", str(tmp_path / "t"), "--user", "officer"),
    ]
    for args in cases:
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output and result.output.startswith("Error: ")
    assert list(tmp_path.iterdir()) == []
    assert PrivacySpend.objects.count() == 0


def test_synthetic_and_report(population, tmp_path, settings):
    settings.OPENNRM_STATS_EPSILON_PER_YEAR = 1.0
    target = tmp_path / "syn.csv"
    result = run(
        "synthetic",
        "--epsilon",
        "0.6",
        "--rows",
        "100",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--output",
        str(target),
        "--country",
        "UA",
    )
    assert result.exit_code == 0, result.output
    assert "epsilon 0.6" in result.output and "3-way marginals" in result.output
    assert len(target.read_text().splitlines()) == 101
    again = run(
        "synthetic",
        "--epsilon",
        "0.6",
        "--rows",
        "100",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--output",
        str(tmp_path / "b.csv"),
        "--country",
        "UA",
    )
    assert again.exit_code == 1 and "privacy budget" in again.output
    assert not (tmp_path / "b.csv").exists()
    pdf = tmp_path / "r.pdf"
    result = run(
        "report", "--year", "2025", "--lang", "uk", "--output", str(pdf), "--user", "coordinator"
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
