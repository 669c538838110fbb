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

from opennrm.monitoring.problems import SENTENCES as SHARED_SENTENCES

#: the sentences ``opennrm monitor`` says too are the ingest library's, with their catalogue
#: (``monitoring/locale``, in ``LOCALE_PATHS``); the page's own follow
SENTENCES: dict[str, Promise] = {
    **{code: _(sentence) for code, sentence in SHARED_SENTENCES.items()},
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
#: ``time_zone``, ``spool.undecryptable``, ``spool.damaged``), with its values; never the
#: file's name or anything read from it
FILE_ERRORS: dict[str, Promise] = {
    "ingest.format": _(
        "the format %(format)s is not one the import reads (Telegram: result.json or HTML "
        "export; CSV, JSON Lines, HTML, RSS/Atom, WARC)."
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
    # a picture, a scan or a workbook renamed .csv (or another text format's name)
    "ingest.binary": _(
        "the file is not text: it is %(kind)s (an image, a PDF, an archive or another "
        "binary file), whatever its name says. Import the export itself: Telegram "
        "result.json, CSV, JSON Lines, HTML, RSS/Atom or WARC; save a spreadsheet as CSV "
        "first."
    ),
    "ingest.binary_spreadsheet": _(
        "the file is a spreadsheet (%(kind)s), not a CSV file. Open it in Excel or "
        "LibreOffice, save it as CSV (UTF-8) and import that file."
    ),
    "ingest.binary_data": _(
        "the file is not text: it holds binary data, as an image, a PDF or an archive "
        "does. Import the export itself: Telegram result.json, CSV, JSON Lines, HTML, "
        "RSS/Atom or WARC."
    ),
    "time_zone": _("unknown time zone %(zone)s: use a name such as Europe/Kyiv or UTC."),
    # an upload waiting encrypted (its spool) under a key removed before it was imported
    "spool.undecryptable": _(
        "the uploaded file can no longer be decrypted: none of the configured keys is the "
        "one it was encrypted with (that key was removed before the file was imported), so "
        "it was discarded. Upload the file again. Administrator: while other uploads are "
        "waiting, put the old key back in OPENNRM_FILE_KEYS or OPENNRM_DATA_KEYS, after the "
        "current one, and run `opennrm keys rotate` before removing it."
    ),
    # a later part of that spool does not decrypt although its beginning did: altered or
    # cut on the server's disk while it waited
    "spool.damaged": _(
        "the uploaded file was damaged on the server while it waited to be imported: a "
        "part of it after the beginning can no longer be decrypted. The posts read before "
        "that part are kept. Upload the file again: posts already stored are not added "
        "twice. Administrator: check the disk of the import directory "
        "(OPENNRM_IMPORT_DIR)."
    ),
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
