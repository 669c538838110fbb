from tests.web.conftest import artifacts, browser, page  # noqa: F401 - shared browser fixtures
