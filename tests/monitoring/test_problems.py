"""The ingest library's sentences for its problem codes: one table, with its own catalogue
in Ukrainian and Russian that reads without Django."""

from __future__ import annotations

import re

import polib
import pytest

from opennrm.monitoring.ingest import PROBLEM_CODES
from opennrm.monitoring.problems import LOCALE_DIR, SENTENCES, translations


def test_every_sentence_is_for_a_code_of_the_library() -> None:
    assert SENTENCES and set(SENTENCES) <= set(PROBLEM_CODES)
    assert "record.invalid" not in SENTENCES  # its English reason is shown as written


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_every_sentence_is_translated_with_its_values(language: str) -> None:
    catalogue = translations(language)
    for sentence in SENTENCES.values():
        said = catalogue.gettext(sentence)
        assert said != sentence, sentence
        assert sorted(re.findall(r"%\((\w+)\)s", said)) == sorted(
            re.findall(r"%\((\w+)\)s", sentence)
        ), sentence


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_catalogue_holds_the_table_and_nothing_else(language: str) -> None:
    po = polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))
    assert {e.msgid for e in po.translated_entries()} == set(SENTENCES.values())


def test_english_is_the_sentence_as_written() -> None:
    assert translations("en").gettext(SENTENCES["csv.malformed"]) == "Malformed CSV line; skipped."
