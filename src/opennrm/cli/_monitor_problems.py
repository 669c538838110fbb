"""What ``opennrm monitor`` says about a skipped record or an unreadable file.

The ingest library gives each problem a stable code with its values beside an English
sentence (:class:`opennrm.monitoring.Problem`, ``IngestError.code``). In English the
command prints the library's sentence as it always has; in Ukrainian and Russian it says
the code with a sentence of this catalogue. An unknown code is printed as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opennrm.cli._i18n import current_language, gettext, gettext_noop

_ = gettext_noop

RECORD_PROBLEMS: dict[str, str] = {
    "record.oversized": _("The record is too large; skipped."),
    "record.undecodable": _(
        "The record holds bytes that are not text in the encoding %(encoding)s; skipped."
    ),
    "record.surrogate": _("The field %(field)s holds a broken character (%(codepoint)s); skipped."),
    "record.no_text": _("No text field (looked for: %(fields)s); skipped."),
    "record.text_not_string": _("The text field %(field)s is not text; skipped."),
    "record.field_not_scalar": _("The field %(field)s is not a single value; skipped."),
    "record.not_object": _("The record is not an object with fields; skipped."),
    "time.bad": _("Unreadable date %(value)s; skipped."),
    "date.unknown": _("Unreadable date %(value)s; the post is kept with its date unknown."),
    "json.invalid": _("Not valid JSON (at character %(column)s); skipped."),
    "json.too_deep": _("The JSON is nested too deeply; skipped."),
    "csv.malformed": _("Malformed CSV line; skipped."),
    "csv.width": _("Wrong number of fields: %(fields)s, the header has %(header)s; skipped."),
    "csv.open_quote": _(
        "A quote opened on this line is never closed; the line is skipped and the lines "
        "after it are read on their own."
    ),
    "feed.unreadable": _("The feed cannot be read from here on; the rest is skipped."),
    "feed.item_empty": _("The item has neither a title nor a text; skipped."),
    "telegram.truncated": _("The file ends in the middle of the messages."),
    "telegram.too_deep": _("The message is nested too deeply; skipped."),
    "telegram.too_deep_rest": _(
        "The message is nested too deeply; the rest of the file is skipped."
    ),
    "telegram.oversized_rest": _("The message is too large; the rest of the file is skipped."),
    "telegram.invalid_json_rest": _("Not valid JSON; the rest of the file is skipped."),
    "telegram.text_entity": _("A part of the message text has no text; skipped."),
    "telegram.text_type": _("The message text is neither text nor a list of parts; skipped."),
    "warc.unreadable_rest": _("The archive cannot be read from here on; the rest is skipped."),
    "warc.no_uri": _("An archived response without its address (WARC-Target-URI); skipped."),
    "warc.response_unreadable": _("An archived response cannot be read; skipped."),
    "warc.too_large_rest": _(
        "The archive unpacks to more than %(mb)s MB; the rest of the file is skipped."
    ),
}

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
}


def _say(table: Mapping[str, str], code: str, params: Mapping[str, Any]) -> str | None:
    sentence = table.get(code)
    if sentence is None:
        return None
    try:
        return gettext(sentence) % {k: str(v) for k, v in params.items()}
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
