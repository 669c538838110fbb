from __future__ import annotations

import os
from pathlib import Path

import pytest

from opennrm.screening import Catalogue, load_catalogue

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cat() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Shared read-only data: $OPENNRM_SHARED_DIR, by default ../shared from the repo root."""
    return Path(os.environ.get("OPENNRM_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()
