from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(
    os.environ.get("OPENNRM_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)
CHROMIUM = os.environ.get("OPENNRM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("OPENNRM_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; install the Debian package 'chromium'.")
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); scripts/test installs it."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 412, "height": 915}, locale="en-GB"
    )
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = (
        dialogs  # scripts that run would open alert() dialogs: tests assert there are none
    )
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def signed_in_context(browser, live_server, user, language: str = "uk", width: int = 360):
    """A browser context signed in as ``user`` (both factors given) with the interface in
    ``language``, ``width`` pixels wide (a phone by default). The caller closes it."""
    from django.conf import settings

    from tests.conftest import verified_client

    session = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 740 if width < 600 else 900}
    )
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    return context
