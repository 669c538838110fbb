"""`opennrm retention apply` and `opennrm subject export|erase` (in-process)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Person
from opennrm.cases.services import person_save
from opennrm.cli import main
from tests.cases.helpers import open_case, step
from tests.factories import UserFactory


def _case(manager):
    case = open_case(manager)
    person_save(
        actor=manager,
        case=case,
        data={"given_name": "Olena", "family_name": "Kovalenko"},
        expected_version=None,
    )
    return case


def test_subject_export_and_erase_commands(world, tmp_path):
    manager = UserFactory(username="cm", agency=world.police, role="case_manager")
    case = _case(manager)
    runner = CliRunner()
    out = tmp_path / "export.json"
    result = runner.invoke(
        main, ["subject", "export", case.reference, "--user", "cm", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["person"]["given_name"] == "Olena"

    refused = runner.invoke(
        main, ["subject", "erase", case.reference, "--user", "officer", "--confirm", "x"]
    )
    assert refused.exit_code == 1
    assert "case manager or coordinator" in refused.output

    erased = runner.invoke(
        main,
        ["subject", "erase", case.reference, "--user", "cm", "--confirm", case.reference],
    )
    assert erased.exit_code == 0, erased.output
    assert "Olena" not in erased.output
    assert Person.objects.get(case=case).given_name == ""


def test_retention_apply_command(world, settings):
    manager = UserFactory(agency=world.police, role="case_manager")
    case = _case(manager)
    step(case, manager, "withdraw")
    runner = CliRunner()
    settings.OPENNRM_RETENTION_DAYS = "withdrawn=1"
    dry = runner.invoke(main, ["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "0 case(s) due" in dry.output  # withdrawn today: not yet one day

    settings.OPENNRM_RETENTION_DAYS = "archived=1"
    bad = runner.invoke(main, ["retention", "apply"])
    assert bad.exit_code == 1
    assert "unknown case state" in bad.output
    assert not AuditEntry.objects.filter(action="retention.apply").exists()
