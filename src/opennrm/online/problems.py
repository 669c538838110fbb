"""Why a record of an import was skipped, said in the reader's language.

The ingest library reports each problem as a stable code with its values (a field name,
counts) beside an English sentence (:class:`opennrm.monitoring.Problem`); an import run
stores all three, and the progress page says the code here, at display time. Rows stored
before codes existed, and codes this catalogue does not know, are shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

SENTENCES: dict[str, Promise] = {
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
        "The archive unpacks to more than %(mb)s MB, the most an import reads; the rest of "
        "the file is skipped (the posts before it are kept). Split the archive into smaller "
        "ones, or ask the administrator to raise the limit."
    ),
    "score.failed": _("The post could not be scored; skipped."),
}


def describe_problem(problem: Mapping[str, Any]) -> str:
    """A stored problem (``where``, ``why``, and ``code``/``params`` when known) as a
    sentence in the active language; otherwise as written."""
    sentence = SENTENCES.get(str(problem.get("code") or ""))
    if sentence is None:
        return str(problem.get("why", ""))
    params = problem.get("params") or {}
    try:
        return str(sentence) % {k: str(v) for k, v in dict(params).items()}
    except (KeyError, TypeError, ValueError):  # values missing: the English as written
        return str(problem.get("why", ""))


#: what ``opennrm online import`` says when it ends (the command line, in the user's language)
IMPORT_SUMMARY = _(
    "read %(read)s, stored %(stored)s, skipped %(skipped)s, duplicates %(duplicates)s"
)
MORE_PROBLEMS = _("… and %(count)s more: see the import's page.")
NO_USER = _("No active user %(name)s.")

#: what ``opennrm online retrain`` and ``opennrm online feedback`` say
RETRAINED = _(
    "trained on %(count)s posts (%(sources)s); out-of-fold precision %(precision)s, "
    "recall %(recall)s; saved to %(path)s"
)
NOT_ENOUGH_DATA = _(
    "labelled posts: %(count)s, of them positive: %(positive)s; training needs at least "
    "%(needed)s of each kind. Label more posts in the queue, or train with the shared data."
)
FEEDBACK_WRITTEN = ngettext_lazy(
    "%(count)s labelled post written to %(path)s",
    "%(count)s labelled posts written to %(path)s",
    "count",
)
#: the sources a model was trained on, as ``online.model.training_rows`` names them
_TRAINING_SOURCES: tuple[tuple[re.Pattern[str], Promise], ...] = (
    (re.compile(r"reviewers' feedback \((?P<count>\d+)\)"), _("reviewers' feedback (%(count)s)")),
    (
        re.compile(r"ua-gec \((?P<count>\d+) ordinary Ukrainian paragraphs\)"),
        _("ua-gec (%(count)s ordinary Ukrainian paragraphs)"),
    ),
)


def describe_training_source(source: str) -> str:
    """One of a model's training sources in the active language (a data set's name as is)."""
    for pattern, sentence in _TRAINING_SOURCES:
        match = pattern.fullmatch(source)
        if match is not None:
            return str(sentence) % match.groupdict()
    return source


#: why a whole file could not be imported: the ingest library's ``IngestError.code`` (and
#: ``time_zone``), with its values; never the file's name or anything read from it
FILE_ERRORS: dict[str, Promise] = {
    "ingest.format": _(
        "the format %(format)s is not one the import reads (Telegram result.json, CSV, "
        "JSON Lines, HTML, RSS/Atom, WARC)."
    ),
    "ingest.unreadable": _(
        "the stored file could not be opened. Upload it again; if this happens again, tell "
        "the administrator."
    ),
    "ingest.error": _("the file cannot be read."),
    "csv.header_unreadable": _(
        "the first line of the CSV file (the column names) cannot be read. Check that the "
        "file is CSV and its first line names the columns."
    ),
    "csv.header_encoding": _(
        "the column names of the CSV file are not text in the encoding %(encoding)s. Save "
        "the file as UTF-8 and import it again."
    ),
    "csv.no_text_column": _(
        "the CSV file has no text column “%(wanted)s” (columns in the file: %(columns)s). "
        "Write the name of the column that holds the text in “Text column (CSV only)”."
    ),
    "time_zone": _("unknown time zone %(zone)s: use a name such as Europe/Kyiv or UTC."),
}


#: a run that failed without a reason (an unexpected error; its type is only logged)
UNEXPECTED = _(
    "The import stopped on an unexpected error. The posts stored before it are kept; "
    "importing the file again adds only the rest."
)


def describe_import_error(code: str, params: Mapping[str, Any] | None) -> str:
    """Why an import run failed, in the active language: a system code
    (``models.IMPORT_ERRORS``) or a file error (``FILE_ERRORS``) with its values; a reason
    stored before codes existed (an English sentence), or an unknown code, as written."""
    from opennrm.online.models import IMPORT_ERRORS

    if code == "legacy":  # a sentence stored before codes, moved out of the plain column
        return str(dict(params or {}).get("legacy", ""))
    sentence = IMPORT_ERRORS.get(code) or FILE_ERRORS.get(code)
    if sentence is None:
        return code
    try:
        return str(sentence) % {k: str(v) for k, v in dict(params or {}).items()}
    except (KeyError, TypeError, ValueError):  # values missing: the sentence without them
        return str(FILE_ERRORS["ingest.error"])
