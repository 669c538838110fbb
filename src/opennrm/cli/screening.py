"""``opennrm screening``: evaluate a screening from JSON and list the indicator catalogue."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click


@click.group(name="screening")
def screening() -> None:
    """Trafficking-indicator screening (ILO/EC Delphi rule). A positive screen means
    'refer for formal identification', never a verdict."""


@screening.command("evaluate")
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
        _fail(f"invalid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}")
    except UnicodeDecodeError:
        _fail("invalid input: the file is not UTF-8 text")
    try:
        catalogue = load_catalogue(catalogue_version)
    except CatalogueError as exc:
        _fail(str(exc))
    try:
        result = evaluate_payload(catalogue, payload)
    except ScreeningInputError as exc:
        lines = "\n".join(f"  {e.field}: {e.message}" for e in exc.errors)
        _fail(f"invalid screening input ({len(exc.errors)} problem(s)):\n{lines}")
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
@click.option("--lang", type=click.Choice(["en", "uk", "ru"]), default="en", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--catalogue-version", default=None, help="Catalogue version (default: latest).")
def catalogue_cmd(set_id: str | None, lang: str, fmt: str, catalogue_version: str | None) -> None:
    """List the indicators, grouped by set and dimension."""
    from opennrm.screening import CatalogueError, load_catalogue
    from opennrm.screening._model import as_lang

    try:
        cat = load_catalogue(catalogue_version)
    except CatalogueError as exc:
        _fail(str(exc))
    lang_ = as_lang(lang)
    if set_id is not None and set_id not in cat.set_ids:
        _fail(f"--set: unknown set {set_id!r}; use one of {', '.join(cat.set_ids)}")
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
    click.echo(f"OpenNRM screening catalogue {cat.version}")
    click.echo(cat.interview_intro.get(lang_))
    for s in sets:
        click.echo("")
        click.echo(f"== {s.id}: {s.label.get(lang_)} [{s.verification_status}]")
        for sec in cat.questions(s.id, lang_):
            click.echo(f"-- {sec.dimension}: {sec.label}")
            for q in sec.questions:
                click.echo(f"  {q.strength.value:<6}  {q.indicator_id}")
                click.echo(f"          {q.label}")
                for text in q.questions:
                    click.echo(f"          ? {text}")


def _fail(message: str) -> Any:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)
