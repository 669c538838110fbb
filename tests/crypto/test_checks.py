"""Production refuses to start without its own data keys; a malformed key stops every
command."""

from __future__ import annotations

from opennrm.crypto.checks import data_keys_configured, data_keys_valid
from opennrm.crypto.keys import development_key, generate_key


def _ids(errors) -> list[str]:
    return [e.id for e in errors]


def test_development_key_is_refused_in_production(settings):
    settings.OPENNRM_DATA_KEYS = [development_key()]
    settings.OPENNRM_DATA_KEYS_ARE_DEVELOPMENT = True
    errors = data_keys_configured(None)
    assert _ids(errors) == ["opennrm.E020"]
    assert "OPENNRM_DATA_KEYS" in errors[0].msg and "opennrm keys generate" in errors[0].hint


def test_the_public_development_key_listed_explicitly_is_refused(settings):
    settings.OPENNRM_DATA_KEYS = [generate_key(), development_key()]
    settings.OPENNRM_DATA_KEYS_ARE_DEVELOPMENT = False
    assert _ids(data_keys_configured(None)) == ["opennrm.E021"]


def test_real_keys_pass(settings):
    settings.OPENNRM_DATA_KEYS = [generate_key(), generate_key()]
    settings.OPENNRM_DATA_KEYS_ARE_DEVELOPMENT = False
    assert data_keys_configured(None) == []
    assert data_keys_valid(None) == []


def test_a_malformed_key_is_an_error_everywhere(settings):
    settings.OPENNRM_DATA_KEYS = [generate_key(), "short-and-secret"]
    errors = data_keys_valid(None)
    assert _ids(errors) == ["opennrm.E022"]
    assert "key 2" in errors[0].msg and "short-and-secret" not in errors[0].msg


def test_settings_without_keys_use_the_marked_development_key(settings):
    # the test environment sets no OPENNRM_DATA_KEYS (tests/_env.py)
    from django.conf import settings as live

    assert live.OPENNRM_DATA_KEYS_ARE_DEVELOPMENT is True
    assert [development_key()] == live.OPENNRM_DATA_KEYS


def test_serve_refuses_to_start_without_data_keys(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENNRM_")}
    env.update(
        OPENNRM_SECRET_KEY=generate_key() * 2,
        OPENNRM_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="opennrm.settings",
    )
    code = "import sys; from opennrm.cli import main; sys.argv=['opennrm','serve','--port','1']; main()"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode != 0
    assert "refusing to start" in out.stderr
    assert "opennrm.E020" in out.stderr and "OPENNRM_DATA_KEYS is not set" in out.stderr
