"""What an ingest problem says to a person, in English, Ukrainian and Russian: one table.

A :class:`~opennrm.monitoring.Problem` carries a stable ``code`` with its ``params`` beside a
terse English ``text``. :data:`SENTENCES` gives each code the sentence a reader sees, with
``%(name)s`` for its values. They are the English of this package's own catalogue
(``monitoring/locale``; ``scripts/i18n src/opennrm/monitoring`` updates and compiles it), which
every surface reads: the ``opennrm monitor`` command with the standard library's gettext
(:func:`translations`, no Django), the web application through ``LOCALE_PATHS``. A surface
that says a code its own way (the import page's advice on ``warc.too_large_rest``, the
command line's file errors) keeps that sentence in its own catalogue.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "django"  # the file name that `django-admin makemessages` (scripts/i18n) writes


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue; it is said in a language at display time."""
    return message


_ = gettext_noop

SENTENCES: dict[str, str] = {
    "record.oversized": _("The record is too large; skipped."),
    "record.undecodable": _(
        "The record holds bytes that are not text in the encoding %(encoding)s; skipped."
    ),
    "record.surrogate": _("The field %(field)s holds a broken character (%(codepoint)s); skipped."),
    "record.no_text": _("No text field (looked for: %(fields)s); skipped."),
    "record.text_not_string": _("The text field %(field)s is not text; skipped."),
    "record.field_not_scalar": _("The field %(field)s is not a single value; skipped."),
    "record.not_object": _("The record is not an object with fields; skipped."),
    "time.bad": _('Unreadable date "%(value)s"; skipped.'),
    "date.unknown": _('Unreadable date "%(value)s"; the post is kept with its date unknown.'),
    "json.invalid": _("Not valid JSON (at character %(column)s); skipped."),
    "json.too_deep": _("The JSON is nested too deeply; skipped."),
    "csv.malformed": _("Malformed CSV line; skipped."),
    "csv.width": _("Wrong number of fields: %(fields)s, the header has %(header)s; skipped."),
    "csv.open_quote": _(
        "A quote opened on this line does not close where its text ends (it never closes, "
        "or text follows it on a later line); the line is skipped and the lines after it "
        "are read on their own."
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
}


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of :data:`SENTENCES` in ``language`` (``en``, or one it lacks: as written)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)
