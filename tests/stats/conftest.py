import pytest
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_and_fresh_cache():
    """Pages served earlier in this thread may have left another language active, and
    dashboards are cached per period: each test starts from English and an empty cache."""
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()
