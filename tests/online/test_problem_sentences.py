"""A skipped record reads the same on the import page (and its API) as in ``opennrm monitor``:
both say the ingest library's sentences (opennrm.monitoring.problems), in uk and ru from its
one catalogue; what only one surface says stays its own."""

from __future__ import annotations

import re

import pytest
from django.utils.translation import override

from opennrm.cli._monitor_problems import RECORD_PROBLEMS
from opennrm.cli._monitor_problems import describe_problem as said_by_the_command
from opennrm.monitoring import Problem
from opennrm.monitoring.ingest import PROBLEM_CODES
from opennrm.monitoring.problems import SENTENCES
from opennrm.online.problems import SENTENCES as PAGE_SENTENCES
from opennrm.online.problems import describe_problem as said_on_the_page


def _params(sentence: str) -> dict[str, str]:
    return {name: f"<{name}>" for name in re.findall(r"%\((\w+)\)s", sentence)}


def _both(code: str, params: dict[str, str], language: str, monkeypatch) -> tuple[str, str]:
    monkeypatch.setenv("OPENNRM_LANGUAGE", language)
    command = said_by_the_command(Problem("a.jsonl:2", code, params, "the library's English"))
    with override(language):
        page = said_on_the_page({"code": code, "params": params, "why": "as stored"})
    return command, page


@pytest.mark.parametrize("language", ["uk", "ru"])
@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_both_surfaces_say_a_shared_code_alike(code, language, monkeypatch):
    english = SENTENCES[code]
    params = _params(english)
    command, page = _both(code, params, language, monkeypatch)
    assert command == page
    assert page != english % params  # translated, with its values
    assert all(value in page for value in params.values())


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_in_english_the_page_says_the_sentence_and_the_command_the_library(code, monkeypatch):
    params = _params(SENTENCES[code])
    command, page = _both(code, params, "en", monkeypatch)
    assert page == SENTENCES[code] % params
    assert command == "the library's English"


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_a_surfaces_own_sentence_stays_its_own_and_translated(language, monkeypatch):
    params = {"mb": "5"}
    command, page = _both("warc.too_large_rest", params, language, monkeypatch)
    assert command != page and command.split()[0] == page.split()[0]  # "Архів"/"Архив" ...
    assert "5" in command and "5" in page
    assert command != RECORD_PROBLEMS["warc.too_large_rest"] % params
    _, scored = _both("score.failed", {}, language, monkeypatch)
    assert scored != str(PAGE_SENTENCES["score.failed"])


def test_every_problem_code_is_said_once_for_both_or_by_each_surface():
    for code in set(PROBLEM_CODES) - {"record.invalid"}:
        assert code in RECORD_PROBLEMS and code in PAGE_SENTENCES, code
        if code in SENTENCES:
            assert RECORD_PROBLEMS[code] == SENTENCES[code]
            assert str(PAGE_SENTENCES[code]) == SENTENCES[code]


def test_every_binary_file_code_is_said_on_the_page_and_on_the_command_line():
    from opennrm.cli._monitor_problems import FILE_ERRORS as CLI_FILE_ERRORS
    from opennrm.online.problems import FILE_ERRORS

    for code in ("ingest.binary", "ingest.binary_spreadsheet", "ingest.binary_data"):
        assert code in FILE_ERRORS and code in CLI_FILE_ERRORS, code
