"""The PostgreSQL pass of scripts/test runs only the tests that use a database: check that
the selection keeps every way a test reaches one and drops only tests that reach none."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FILES = [
    "tests/online/test_imports.py",  # django_db, transaction=True, the `database` marker, none
    "tests/httpguard/test_chunked_bodies.py",  # a module marked `database` (its own server)
    "tests/web/test_e2e_online.py",  # live_server through the module's django_db marker
    "tests/audit/test_chain.py",  # the `db` fixture
    "tests/monitoring/test_normalize.py",  # a pure library: no database at all
]


def _collected(*extra: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "no:xdist", *extra, *FILES],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return {line for line in out.stdout.splitlines() if "::" in line}


def test_the_database_pass_keeps_every_test_that_reaches_a_database():
    everything = _collected()
    kept = _collected("--database-tests-only")
    dropped = everything - kept
    assert kept < everything

    # every test of the pure library is dropped, and nothing else of it is kept
    assert {t for t in everything if t.startswith("tests/monitoring/")} <= dropped
    # a test that starts a worker on the configured database is kept by its marker
    assert "tests/online/test_imports.py::test_an_upload_is_imported_by_the_worker_process" in kept
    # one that reads a setting only is dropped
    assert (
        "tests/online/test_imports.py::test_import_folder_setting_is_private_by_default" in dropped
    )
    # django_db (plain and transactional), live_server, the db fixture, a module marker
    for prefix in (
        "tests/online/test_imports.py::test_unreadable_file_marks_the_run_failed",
        "tests/online/test_imports.py::test_two_imports_creating_the_same_contacts_at_once",
        "tests/httpguard/test_chunked_bodies.py::",
        "tests/web/test_e2e_online.py::",
        "tests/audit/test_chain.py::",
    ):
        assert any(t.startswith(prefix) for t in kept), prefix
        assert not any(t.startswith(prefix) for t in dropped), prefix
