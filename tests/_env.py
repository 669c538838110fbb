"""Loaded with ``-p tests._env`` before Django reads its settings: local plain-HTTP test server."""

import os
import tempfile

os.environ.setdefault("OPENNRM_SSL_REDIRECT", "0")
os.environ.setdefault("OPENNRM_SECURE_COOKIES", "0")
os.environ.setdefault("OPENNRM_HSTS_SECONDS", "0")
os.environ.setdefault("OPENNRM_DATA_DIR", tempfile.mkdtemp(prefix="opennrm-test-"))
# transactional tests empty every table; tests/audit installs the triggers itself
os.environ.setdefault("OPENNRM_AUDIT_DB_TRIGGERS", "0")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright beside live_server
