"""What ``opennrm monitor`` says about a skipped record or an unreadable file.

The ingest library gives each problem a stable code with its values beside an English
sentence (:class:`opennrm.monitoring.Problem`, ``IngestError.code``). In English the
command prints the library's sentence as it always has; in Ukrainian and Russian it says
the code with a sentence of the library's catalogue (:mod:`opennrm.monitoring.problems`,
which the import page reads too), or of this one for what only the command says. An
unknown code is printed as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opennrm.cli._i18n import current_language, gettext, gettext_noop
from opennrm.monitoring.problems import SENTENCES, translations

_ = gettext_noop

# the sentences the import page says too (opennrm.monitoring.problems, its catalogue), and
# the command line's own
RECORD_PROBLEMS: dict[str, str] = {
    **SENTENCES,
    "warc.too_large_rest": _(
        "The archive unpacks to more than %(mb)s MB; the rest of the file is skipped."
    ),
}
_SHARED = frozenset(SENTENCES.values())

# a whole file: the analyst's own file, so the command names it and its columns
FILE_ERRORS: dict[str, str] = {
    "ingest.format": _("unknown format %(format)s; use telegram, csv, jsonl, html, rss or warc"),
    "ingest.unreadable": _("the file cannot be read (%(errno)s)"),
    "ingest.error": _("the file cannot be read"),
    "csv.header_unreadable": _("the first line of the CSV file (the column names) cannot be read"),
    "csv.header_encoding": _(
        "the column names are not text in the encoding %(encoding)s; use --encoding"
    ),
    "csv.no_text_column": _(
        "no text column %(wanted)s (the file has %(columns)s columns); use --text-column"
    ),
    "ingest.binary": _(
        "the file is not text but %(kind)s (an image, a PDF or another binary file)"
    ),
    "ingest.binary_spreadsheet": _(
        "the file is a spreadsheet (%(kind)s), not CSV: save it as CSV and import that"
    ),
    "ingest.binary_data": _("the file is not text: it holds binary data (NUL bytes)"),
}


def _in_language(sentence: str) -> str:
    """A sentence of the shared table from the library's catalogue, any other from this one."""
    if sentence in _SHARED:
        return translations(current_language()).gettext(sentence)
    return gettext(sentence)


def _say(table: Mapping[str, str], code: str, params: Mapping[str, Any]) -> str | None:
    sentence = table.get(code)
    if sentence is None:
        return None
    try:
        return _in_language(sentence) % {k: str(v) for k, v in params.items()}
    except (KeyError, TypeError, ValueError):
        return None


def describe_problem(problem: Any) -> str:
    """A :class:`opennrm.monitoring.Problem` in the current language."""
    if current_language() == "en":
        return str(problem.text)
    return _say(RECORD_PROBLEMS, problem.code, problem.params) or str(problem.text)


def describe_file_error(path: object, error: Any) -> str:
    """An ``IngestError`` about ``path`` in the current language."""
    if current_language() == "en":
        return str(error)
    said = _say(FILE_ERRORS, getattr(error, "code", ""), getattr(error, "params", {}))
    return f"{path}: {said}" if said else str(error)
