"""``opennrm screening``: evaluate a screening from JSON and list the indicator catalogue.

Messages are in the command's language (``--language``, see :mod:`opennrm.cli._i18n`); the
JSON written to standard output is the same in every language (``evaluate --lang`` adds
the next questions in one language; ``catalogue --format json`` is English unless
``--lang`` says otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import click

from opennrm.cli._i18n import (
    LANGUAGES,
    InputError,
    current_language,
    gettext,
    gettext_noop,
    language_option,
    ngettext,
    set_language,
)

_ = gettext

# the screening library's FieldError codes (opennrm.screening.FIELD_ERROR_CODES)
_FIELD_ERRORS: dict[str, str] = {
    "set.type": gettext_noop("must be one of %(choices)s"),
    "set.unknown": gettext_noop("unknown set %(set)s; use one of %(choices)s"),
    "age.type": gettext_noop("must be a whole number of years, or null if unknown"),
    "age.range": gettext_noop("must be between 0 and %(max)s"),
    "age.adult_in_child_set": gettext_noop(
        "is 18 or over, but set %(set)s is for persons under 18"
    ),
    "age.child_in_adult_set": gettext_noop(
        "is under 18: use a child set (child_labour or child_sexual), not %(set)s"
    ),
    "answers.type": gettext_noop("must be an object mapping indicator ids to yes, no or unknown"),
    "answers.key_type": gettext_noop("indicator ids must be strings"),
    "answers.key_format": gettext_noop("is not an indicator id (only a-z, 0-9, '_' and '.')"),
    "answers.derived": gettext_noop(
        "is a derived ILO forced-labour indicator; answer the indicators it maps to"
    ),
    "answers.unknown": gettext_noop("unknown indicator id"),
    "answers.other_set": gettext_noop("is not part of set %(set)s (it belongs to %(sets)s)"),
    "answers.twice": gettext_noop("answered twice"),
    "answers.value": gettext_noop("invalid answer (%(kind)s); use yes, no or unknown"),
    "payload.type": gettext_noop("must be a JSON object with keys set, age and answers"),
    "payload.unexpected": gettext_noop("unexpected key"),
    "payload.required": gettext_noop("is required"),
}
_SUGGESTION = gettext_noop("; did you mean %(suggestion)s?")
_KINDS: dict[str, str] = {
    "null": gettext_noop("null"),
    "boolean": gettext_noop("true/false"),
    "number": gettext_noop("a number"),
    "text": gettext_noop("other text"),
    "object": gettext_noop("an object"),
    "list": gettext_noop("a list"),
    "other": gettext_noop("an unsupported value"),
}
_STRENGTHS: dict[str, str] = {
    "strong": gettext_noop("strong"),
    "medium": gettext_noop("medium"),
    "weak": gettext_noop("weak"),
}
_VERIFICATION: dict[str, str] = {
    "secondary_source_cross_checked": gettext_noop("secondary source, cross-checked"),
    "secondary_source_single": gettext_noop("single secondary source"),
    "reconstructed": gettext_noop("reconstructed, not from a source"),
}


def _field_error(code: str, params: Mapping[str, Any], english: str) -> str:
    """A screening input problem in the command's language (English as the library says)."""
    sentence = _FIELD_ERRORS.get(code)
    if sentence is None or current_language() == "en":
        return english
    values = {k: str(v) for k, v in params.items()}
    if code == "answers.value":
        values["kind"] = _(_KINDS.get(str(params.get("kind")), "an unsupported value"))
    if code == "set.unknown" and not values.get("set"):
        values["set"] = "—"
    try:
        said = _(sentence) % values
    except (KeyError, TypeError, ValueError):
        return english
    if values.get("suggestion"):
        said += _(_SUGGESTION) % values
    return said


@click.group(name="screening")
@language_option
def screening() -> None:
    """Trafficking-indicator screening (ILO/EC Delphi rule). A positive screen means
    'refer for formal identification', never a verdict."""


@screening.command("evaluate")
@language_option
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--catalogue-version", default=None, help="Catalogue version (default: latest).")
@click.option("--indent", type=int, default=2, show_default=True, help="JSON indentation.")
@click.option(
    "--lang",
    type=click.Choice(["en", "uk", "ru"]),
    default=None,
    help="Also print the next questions' texts in this language (key next_questions_guide).",
)
def evaluate_cmd(
    file: IO[str], catalogue_version: str | None, indent: int, lang: str | None
) -> None:
    """Evaluate FILE (JSON; '-' for stdin) of the form
    {"set": ..., "age": ..., "answers": {indicator_id: "yes"|"no"|"unknown"}}
    and print the outcome with its explanation as JSON. Exit code 2 on invalid input."""
    from opennrm.screening import (
        CatalogueError,
        ScreeningInputError,
        evaluate_payload,
        load_catalogue,
    )

    try:
        payload: Any = json.load(file)
    except json.JSONDecodeError as exc:
        where = {"line": exc.lineno, "column": exc.colno, "error": exc.msg}
        raise InputError(
            _("invalid JSON: line %(line)s column %(column)s: %(error)s") % where
        ) from exc
    except UnicodeDecodeError:
        raise InputError(_("invalid input: the file is not UTF-8 text")) from None
    try:
        catalogue = load_catalogue(catalogue_version)
    except CatalogueError as exc:
        raise InputError(str(exc)) from exc
    try:
        result = evaluate_payload(catalogue, payload)
    except ScreeningInputError as exc:
        count = len(exc.errors)
        head = ngettext(
            "invalid screening input (%(count)s problem):",
            "invalid screening input (%(count)s problems):",
            count,
        )
        lines = [f"  {e.field}: {_field_error(e.code, e.params, e.message)}" for e in exc.errors]
        raise InputError("\n".join([head % {"count": count}, *lines])) from exc
    out = result.to_dict()
    if lang is not None:
        from opennrm.screening._model import as_lang

        lang_ = as_lang(lang)
        out["next_questions_guide"] = [
            catalogue.guide_question(i, result.set_id, lang_).to_dict()
            for i in result.next_questions
        ]
    click.echo(json.dumps(out, ensure_ascii=False, indent=indent))


@screening.command("catalogue")
@click.option("--set", "set_id", default=None, help="Only this set (e.g. adult_labour).")
@click.option(
    "--lang",
    "--language",
    "lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the catalogue and the messages (default: the table in the language of "
    "the environment, see --help of `opennrm screening`; JSON in English).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--catalogue-version", default=None, help="Catalogue version (default: latest).")
def catalogue_cmd(
    set_id: str | None, lang: str | None, fmt: str, catalogue_version: str | None
) -> None:
    """List the indicators, grouped by set and dimension."""
    from opennrm.screening import CatalogueError, load_catalogue
    from opennrm.screening._model import as_lang

    if lang is None:  # a table is read by a person; JSON by programs, the same everywhere
        lang = current_language() if fmt == "table" else "en"
    set_language(lang)
    try:
        cat = load_catalogue(catalogue_version)
    except CatalogueError as exc:
        raise InputError(str(exc)) from exc
    lang_ = as_lang(lang)
    if set_id is not None and set_id not in cat.set_ids:
        raise InputError(
            _("--set: unknown set %(set)r; use one of %(choices)s")
            % {"set": set_id, "choices": ", ".join(cat.set_ids)}
        )
    sets = [s for s in cat.sets if set_id is None or s.id == set_id]
    if fmt == "json":
        out = {
            "catalogue_version": cat.version,
            "interview_intro": cat.interview_intro.get(lang_),
            "sets": [
                {
                    "id": s.id,
                    "child": s.child,
                    "label": s.label.get(lang_),
                    "verification": s.verification_status,
                    "sections": [sec.to_dict() for sec in cat.questions(s.id, lang_)],
                }
                for s in sets
            ],
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(_("OpenNRM screening catalogue %(version)s") % {"version": cat.version})
    click.echo(cat.interview_intro.get(lang_))
    for s in sets:
        click.echo("")
        status = s.verification_status
        status = _(_VERIFICATION[status]) if status in _VERIFICATION else status
        click.echo(f"== {s.id}: {s.label.get(lang_)} [{status}]")
        width = max(len(_(w)) for w in _STRENGTHS.values())
        for sec in cat.questions(s.id, lang_):
            click.echo(f"-- {sec.dimension}: {sec.label}")
            for q in sec.questions:
                strength = _(_STRENGTHS.get(q.strength.value, q.strength.value))
                click.echo(f"  {strength:<{width}}  {q.indicator_id}")
                click.echo(f"          {q.label}")
                for text in q.questions:
                    click.echo(f"          ? {text}")
