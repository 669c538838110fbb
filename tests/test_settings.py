"""Production safety: the deploy checks refuse unsafe settings; argon2 is the hasher."""

from opennrm import settings as production
from opennrm.core.checks import opennrm_production_settings


def test_argon2_is_the_only_password_hasher():
    assert production.PASSWORD_HASHERS == ["django.contrib.auth.hashers.Argon2PasswordHasher"]


def test_safe_defaults_without_environment():
    # tests/_env.py turns these off for the plain-HTTP test server; the code defaults are safe
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENNRM_")}
    code = (
        "from opennrm import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.OPENNRM_REQUIRE_2FA, s.SECRET_KEY_IS_EPHEMERAL)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True", "True", "True", "True", "True", "True"]


def test_deploy_check_refuses_unsafe_production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_IS_EPHEMERAL = True
    settings.SESSION_COOKIE_SECURE = False
    settings.OPENNRM_REQUIRE_2FA = False
    settings.SECURE_SSL_REDIRECT = False
    ids = {e.id for e in opennrm_production_settings(None)}
    assert ids == {"opennrm.E001", "opennrm.E002", "opennrm.E003", "opennrm.E004"}


def test_deploy_check_passes_when_configured(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_IS_EPHEMERAL = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.OPENNRM_REQUIRE_2FA = True
    settings.SECURE_SSL_REDIRECT = True
    assert opennrm_production_settings(None) == []
