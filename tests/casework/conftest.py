from __future__ import annotations

import pytest
from cryptography.fernet import Fernet


@pytest.fixture(autouse=True)
def _file_store(settings, tmp_path):
    """Attachments in a fresh directory, with a fresh key and no virus scanner."""
    settings.OPENNRM_FILE_KEYS = [Fernet.generate_key().decode()]
    settings.OPENNRM_ATTACHMENT_DIR = tmp_path / "attachments"
    settings.OPENNRM_CLAMD_SOCKET = ""
    settings.OPENNRM_ATTACHMENT_MAX_BYTES = 10_000_000
    return settings.OPENNRM_ATTACHMENT_DIR
