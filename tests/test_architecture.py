"""The import-linter contracts hold, and they do fail on a deliberate bad import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [str(LINT)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")
@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("screening", "import django.db\n", "Pure libraries never import Django BROKEN"),
        (
            "monitoring",
            "from opennrm.screening import __doc__\n",
            "Pure libraries are independent of each other BROKEN",
        ),
        ("cases/selectors", "from opennrm.cases import services\n", "App layering"),
        ("online/services", "from opennrm.online import api\n", "App layering"),
        ("transnational", "import django.db\n", "Pure libraries never import Django BROKEN"),
    ],
)
def test_contract_fails_on_a_deliberate_bad_import(tmp_path, module, line, broken):
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint(tmp_path, tmp_path / "src").returncode == 0
    target = (
        tmp_path / "src" / "opennrm" / (module + ".py" if "/" in module else module + "/_bad.py")
    )
    target.write_text(target.read_text() + line if target.exists() else line)
    result = _lint(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert broken in result.stdout
