"""A bounded schemathesis run over every operation with every check: no failure allowed.

Runs the `st` command against the live test server (on SQLite, and on PostgreSQL when
scripts/test runs the suite there) with a fixed seed and few examples per operation, so
that it stays well under two minutes: every operation as an NRM coordinator, then the
audit operations as an auditor (the only role that may read them).

One setting differs from schemathesis' defaults: for schema-valid requests,
``positive_data_acceptance`` also accepts 422. The schema describes the shape of a
request; the NRM's rules go further (a forced-criminality flag needs its note, a date
of birth cannot be in the future, a referral needs an agency that exists) and answer
422 naming the field. Every other check runs as shipped.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cases.helpers import open_case, referred_case
from tests.conftest import bearer_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SEED = 20261201
MAX_EXAMPLES = 10

_CONFIG = """
[cache]
enabled = false

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
"""


def _run(url: str, token: str, tmp_path: Path, name: str, *extra: str) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_CONFIG)
    st = Path(sys.executable).parent / "st"
    command = [
        str(st),
        "--config-file",
        str(config),
        "run",
        f"{url}/api/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / name),
        *extra,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-30000:] + result.stderr[-5000:]


def test_schemathesis_finds_no_failure(live_server, world, tmp_path):
    for _ in range(3):
        open_case(world.coordinator, region="Kyiv", summary="synthetic")
    referred_case(world)
    coordinator = bearer_token(world.coordinator, name="fuzz")
    auditor = bearer_token(world.auditor, name="fuzz")
    _run(live_server.url, coordinator, tmp_path, "all-operations")
    _run(live_server.url, auditor, tmp_path, "audit", "--include-path-regex", "^/api/audit")
