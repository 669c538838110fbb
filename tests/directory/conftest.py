# the browser fixtures of tests/web, for this app's browser test
from tests.web.conftest import artifacts, browser, page  # noqa: F401
