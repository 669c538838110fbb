import pytest
from django.utils import translation

from tests.web.conftest import artifacts, browser, page  # noqa: F401 - shared browser fixtures


@pytest.fixture(autouse=True)
def _english():
    """Pages served earlier in this thread may have left another language active."""
    with translation.override("en"):
        yield
