# the browser tests here use the same Chromium fixtures as tests/web
from tests.web.conftest import artifacts, browser  # noqa: F401
