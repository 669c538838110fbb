from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring.language import DEFAULT_LANGUAGES, detect_language, fast_language


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


# letter fast path ------------------------------------------------------------------------

WORKED = [
    # (text, language): each has letters unique to one configured language
    ("Пропонуємо роботу в Польщі для дівчат, житло безкоштовне", "uk"),
    ("Предлагаем работу в Польше для девушек, жильё бесплатно", "ru"),
    ("Oferujemy pracę w Niemczech dla kobiet, zakwaterowanie za darmo", "pl"),
    ("Oferim un loc de muncă în Germania pentru femei, cazare gratuită și bilete", "ro"),
    ("Wir bieten gut bezahlte Arbeit für Frauen, Unterkunft ist kostenlos", "de"),
]


@pytest.mark.parametrize(("text", "code"), WORKED)
def test_fast_path_agrees_with_lingua(text: str, code: str) -> None:
    assert fast_language(text, 30, DEFAULT_LANGUAGES) == code
    assert detect_language(text) == code
    assert detect_language(text, fast=False) == code


@pytest.mark.parametrize(
    "text",
    [
        "Мы работаем в офисе, і за відповідями сюди пишите",  # ru (ы) and uk (і) letters
        "We offer well paid work abroad for young women, free housing",  # no unique letter
        "Жильё free, work in Germany for young women and men, call now",  # mostly Latin
        "Работа в Польше для девушек, жилье бесплатно",  # Cyrillic, none unique (uk/ru)
    ],
)
def test_fast_path_defers_to_lingua_when_ambiguous(text: str) -> None:
    assert fast_language(text, sum(c.isalpha() for c in text), DEFAULT_LANGUAGES) is None


def test_fast_path_never_answers_an_unconfigured_language() -> None:
    text = "Предлагаем работу в Польше для девушек, жильё бесплатно"
    assert fast_language(text, 40, ("pl", "en")) is None
    assert detect_language(text, languages=("pl", "en")) in ("pl", "en", None)


def test_fast_path_off_for_languages_outside_its_table() -> None:
    # "ы", "э", "ё" are also Belarusian: the letters are unique only among the defaults
    text = "Предлагаем работу в Польше для девушек, жильё бесплатно"
    assert detect_language(text, languages=("ru", "uk", "fr")) in ("ru", "uk", "fr", None)


def test_upper_case_sharp_s_is_not_plain_s() -> None:
    assert fast_language("SHOOTING FOR THE STARS", 19, DEFAULT_LANGUAGES) is None


@settings(max_examples=200)
@given(
    st.text(
        alphabet=st.sampled_from("abcdeßäöüąęłșțіїєґыэъёабвгдежз .,!1"),
        max_size=120,
    ),
    st.lists(st.sampled_from(DEFAULT_LANGUAGES), min_size=1, unique=True),
)
def test_output_is_configured_or_none(text: str, languages: list[str]) -> None:
    assert detect_language(text, languages=languages) in (*languages, None)
    fast = fast_language(text, sum(c.isalpha() for c in text), tuple(languages))
    assert fast in (*languages, None)


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(["http", "://", "www", ".", "@", "t", "me", "/", "WWW", "T.ME", "x", " "]),
        max_size=20,
    ).map("".join)
)
def test_url_gate_never_skips_a_url(text: str) -> None:
    from opennrm.monitoring.language import _URLISH_GATE_RE, _URLISH_RE

    if _URLISH_GATE_RE.search(text) is None:
        assert _URLISH_RE.sub(" ", text) == text
