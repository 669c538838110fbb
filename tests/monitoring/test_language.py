from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring.language import DEFAULT_LANGUAGES, detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Пропонуємо роботу в Польщі для дівчат, житло безкоштовне, пишіть у приват", "uk"),
        ("Предлагаем работу в Польше для девушек, жильё бесплатно, пишите в личку", "ru"),
        ("Oferujemy pracę w Niemczech dla kobiet, zakwaterowanie za darmo, piszcie", "pl"),
        ("Oferim un loc de muncă în Germania pentru femei, cazare gratuită", "ro"),
        ("We offer well paid work abroad for young women, free housing and tickets", "en"),
        ("Wir bieten gut bezahlte Arbeit in Deutschland, Unterkunft ist kostenlos", "de"),
    ],
)
def test_detects_configured_languages(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_too_short_or_only_contacts_is_none() -> None:
    assert detect_language("ок") is None
    assert detect_language("https://t.me/jobs_pl @jobs_pl hr@x.com +48 512 345 678") is None


def test_restricted_language_set() -> None:
    text = "Предлагаем работу в Польше для девушек, жильё бесплатно"
    assert detect_language(text, languages=("pl", "en")) in ("pl", "en", None)
    assert detect_language(text, languages=("ru",)) == "ru"


def test_function_pickles_for_dask() -> None:
    fn = pickle.loads(pickle.dumps(detect_language))  # noqa: S301 - our own object
    assert fn("Oferujemy pracę w Niemczech dla kobiet, zakwaterowanie za darmo") == "pl"


@settings(max_examples=50)
@given(st.text(max_size=200))
def test_never_crashes(text: str) -> None:
    assert detect_language(text) in (*DEFAULT_LANGUAGES, None)
