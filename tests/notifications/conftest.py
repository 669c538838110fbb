import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """Requests here activate uk/ru in the test thread; later tests must not inherit it."""
    yield
    translation.deactivate()
