"""``opennrm monitor ingest|extract|export``.

Errors about the input (missing file or column, unknown format, unreadable encoding)
exit with status 2 and a message naming the file and column; bad *records* inside a
file are reported and skipped, not fatal. Everything printed is in the command's
language (``--language``, see :mod:`opennrm.cli._i18n`); the files written are not.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import click

from opennrm.cli._i18n import InputError, gettext, language_option, ngettext, os_reason
from opennrm.cli._monitor_problems import describe_file_error, describe_problem
from opennrm.cli.monitor import monitor

_ = gettext
_SHOW_PROBLEMS = 10


def _no_file(path: object) -> InputError:
    return InputError(_("%(path)s: no such file") % {"path": path})


def _regions(value: str) -> tuple[str, ...]:
    regions = tuple(r.strip().upper() for r in value.split(",") if r.strip())
    bad = [r for r in regions if len(r) != 2 or not r.isalpha()]
    if bad or not regions:
        raise InputError(
            _("--regions: expected ISO country codes like UA,PL,MD; got %(value)r")
            % {"value": value}
        )
    return regions


def _progress(items: Any, desc: str) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped]  # lazy: streaming commands only

    return tqdm(items, desc=desc, unit=" posts", file=sys.stderr, disable=None, leave=False)


def _summary(report: Any) -> None:
    counts = {
        "read": report.read,
        "ok": report.ok,
        "skipped": report.skipped,
        "duplicates": report.duplicates,
        "ignored": report.ignored,
    }
    line = _(
        "read %(read)s, ok %(ok)s, skipped %(skipped)s, duplicates %(duplicates)s, "
        "ignored %(ignored)s"
    )
    click.echo(line % counts, err=True)
    for problem in report.details[:_SHOW_PROBLEMS]:
        click.echo(f"  {problem.where}: {describe_problem(problem)}", err=True)
    if report.skipped > _SHOW_PROBLEMS:
        more = _("  ... and %(count)s more") % {"count": report.skipped - _SHOW_PROBLEMS}
        click.echo(more, err=True)


# --------------------------------------------------------------------------- ingest


@monitor.command()
@language_option
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "telegram", "csv", "jsonl", "html", "rss", "warc"]),
    help="Input format (auto: from the file name, then the first bytes).",
)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of post ids already ingested; new ones are appended and the output is "
    "appended to, so re-running adds nothing twice.",
)
@click.option("--text-column", help="CSV column / JSON key holding the text.")
@click.option("--encoding", help="Force an input encoding (default: BOM, UTF-16, UTF-8, cp1251).")
def ingest(
    inputs: Sequence[str],
    fmt: str,
    output: Path,
    checkpoint: Path | None,
    text_column: str | None,
    encoding: str | None,
) -> None:
    """Read posts from exports/archives into a JSON Lines file of posts."""
    from opennrm.monitoring.ingest import (
        IngestError,
        IngestReport,
        append_checkpoint,
        iter_posts,
        load_checkpoint,
    )

    for name in inputs:
        if not Path(name).is_file():
            raise _no_file(name)
    seen = load_checkpoint(checkpoint) if checkpoint else set()
    report = IngestReport()
    pending: list[str] = []
    mode = "a" if checkpoint else "w"
    try:
        with output.open(mode, encoding="utf-8") as out:
            for name in inputs:
                posts = iter_posts(
                    name, fmt, report=report, seen=seen, text_column=text_column,
                    encoding=encoding,
                )  # fmt: skip
                for post in _progress(posts, Path(name).name):
                    out.write(post.to_json() + "\n")
                    pending.append(post.id)
                    if checkpoint and len(pending) >= 1000:
                        out.flush()
                        append_checkpoint(checkpoint, pending)
                        pending.clear()
            out.flush()
            if checkpoint and pending:
                append_checkpoint(checkpoint, pending)
    except IngestError as exc:
        _summary(report)
        raise InputError(describe_file_error(name, exc)) from exc
    except (LookupError, UnicodeError) as exc:
        raise InputError(_("encoding problem: %(error)s") % {"error": exc}) from exc
    except OSError as exc:
        raise InputError(f"{exc.filename or output}: {os_reason(exc)}") from exc
    _summary(report)
    wrote = ngettext(
        "wrote %(count)s post to %(path)s", "wrote %(count)s posts to %(path)s", report.ok
    )
    click.echo(wrote % {"count": report.ok, "path": output}, err=True)


# --------------------------------------------------------------------------- tables


def _read_table(
    path: Path, text_column: str | None, encoding: str | None
) -> tuple[list[str], str, Iterator[dict[str, str]], list[int]]:
    """Columns, text column and rows of a CSV or JSON Lines file (``skipped`` is a counter)."""
    from opennrm.monitoring.ingest import (
        MAX_TEXT_CHARS,
        TEXT_COLUMNS,
        CsvLines,
        allow_huge_csv_fields,
        detect_format,
        open_text,
        quote_ran_on,
        sniff_dialect,
        undecodable,
    )

    if not path.is_file():
        raise _no_file(path)
    try:
        fmt = detect_format(path)
    except OSError as exc:
        raise InputError(f"{path}: {os_reason(exc)}") from exc
    skipped = [0]
    raw = path.open("rb")
    try:
        stream, enc = open_text(raw, encoding)
    except LookupError as exc:
        raw.close()
        raise InputError(
            _("%(path)s: unknown encoding %(encoding)r") % {"path": path, "encoding": encoding}
        ) from exc
    if fmt == "jsonl":
        key = text_column or "text"
        columns = ["id", "source", "channel", "author", "posted_at", "url", "record", "text"]
        columns += [] if key in columns else [key]

        def jsonl_rows() -> Iterator[dict[str, str]]:
            with raw:
                for lineno, line in enumerate(stream, 1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        obj = None
                    if not isinstance(obj, dict) or not isinstance(obj.get(key), str):
                        skipped[0] += 1
                        said = _("no %(key)r text, skipped") % {"key": key}
                        click.echo(f"  {path.name}:{lineno}: {said}", err=True)
                        continue
                    yield {k: "" if v is None else str(v) for k, v in obj.items()}

        return columns, key, jsonl_rows(), skipped
    if fmt != "csv":
        raw.close()
        raise InputError(
            _("%(path)s: expected a CSV or JSON Lines file, found %(format)s")
            % {"path": path, "format": fmt}
        )
    allow_huge_csv_fields()
    head = stream.read(16384)
    head += stream.readline()  # finish the line the sample may have cut
    dialect = sniff_dialect(head)
    src = CsvLines(itertools.chain(io.StringIO(head), stream), 4 * MAX_TEXT_CHARS)
    reader = csv.reader(src, dialect)
    try:
        header = [h.lstrip("\ufeff").strip() for h in next(reader)]
    except StopIteration:
        raw.close()
        raise InputError(_("%(path)s: empty file") % {"path": path}) from None
    except csv.Error as exc:
        raw.close()
        raise InputError(
            _("%(path)s: unreadable CSV header (%(error)s)") % {"path": path, "error": exc}
        ) from exc
    if any(undecodable(h) for h in header):
        raw.close()
        raise InputError(
            _("%(path)s: does not decode as %(encoding)s; use --encoding")
            % {"path": path, "encoding": enc}
        )
    found = text_column or next((h for h in header if h.lower() in TEXT_COLUMNS), None)
    if found is None or found not in header:
        raw.close()
        wanted = text_column or "/".join(TEXT_COLUMNS)
        raise InputError(
            _("%(path)s: no column %(column)r (columns: %(columns)s)")
            % {"path": path, "column": wanted, "columns": ", ".join(header)}
        )
    col: str = found

    def csv_rows() -> Iterator[dict[str, str]]:
        with raw:
            start = src.number + 1  # a record is named by its first line
            while True:
                src.mark()
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    skipped[0] += 1
                    said = _("%(error)s, skipped") % {"error": exc}
                    click.echo(f"  {path.name}:{start}: {said}", err=True)
                    start = src.number + 1
                    continue
                line, start = start, src.number + 1
                if not row:
                    continue
                rest = quote_ran_on(src, dialect, len(header), len(row))
                if rest is not None:
                    # a stray quote costs its own line, not the lines up to the next quote
                    skipped[0] += 1
                    said = _("a quote opened on this line is never closed, skipped")
                    click.echo(f"  {path.name}:{line}: {said}", err=True)
                    src.replay(rest)
                    start = src.number + 1
                    continue
                if len(row) != len(header) or any(undecodable(v) for v in row):
                    skipped[0] += 1
                    if len(row) == len(header):
                        said = _("undecodable, skipped")
                    else:
                        said = _("wrong field count, skipped")
                    click.echo(f"  {path.name}:{line}: {said}", err=True)
                    continue
                yield dict(zip(header, row, strict=True))

    return header, col, csv_rows(), skipped


@monitor.command(name="extract")
@language_option
@click.option("--input", "-i", "input_path", required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--text-column", help="Column with the text (default: text/message/content).")
@click.option("--regions", default="UA,PL,MD,RO,DE", show_default=True, help="Phone regions.")
@click.option("--encoding", help="Force the input encoding.")
def extract_command(
    input_path: Path, output: Path, text_column: str | None, regions: str, encoding: str | None
) -> None:
    """Add phones, e-mails, URLs and messenger handles to each row of a CSV/JSONL file.

    Output: the input columns plus ``phones`` (E.164), ``emails``, ``urls``, ``handles``,
    ``countries``, each ``;``-separated.
    """
    from opennrm.monitoring.extract import extract

    region_codes = _regions(regions)
    columns, col, rows, skipped = _read_table(input_path, text_column, encoding)
    added = ["phones", "emails", "urls", "handles", "countries"]
    count = 0
    try:
        with output.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([*columns, *added])
            for row in _progress(rows, input_path.name):
                ex = extract(row[col], regions=region_codes)
                values = [ex.phones, ex.emails, ex.urls, ex.handles, ex.countries]
                writer.writerow([row.get(c, "") for c in columns] + [";".join(v) for v in values])
                count += 1
    except OSError as exc:
        raise InputError(f"{exc.filename or output}: {os_reason(exc)}") from exc
    wrote = ngettext(
        "wrote %(count)s row to %(path)s; skipped %(skipped)s",
        "wrote %(count)s rows to %(path)s; skipped %(skipped)s",
        count,
    )
    click.echo(wrote % {"count": count, "path": output, "skipped": skipped[0]}, err=True)


def _posts_from(path: Path, text_column: str | None, encoding: str | None) -> Iterator[Any]:
    from opennrm.monitoring.ingest import IngestError, IngestReport, detect_format, iter_posts

    if not path.is_file():
        raise _no_file(path)
    fmt = detect_format(path)
    if fmt not in ("jsonl", "csv"):
        raise InputError(
            _("%(path)s: expected posts.jsonl or a CSV file, found %(format)s")
            % {"path": path, "format": fmt}
        )
    report = IngestReport()
    try:
        yield from iter_posts(path, fmt, report=report, text_column=text_column, encoding=encoding)
    except IngestError as exc:
        raise InputError(describe_file_error(path, exc)) from exc
    if report.skipped:
        _summary(report)


@monitor.command()
@language_option
@click.option("--input", "-i", "input_path", required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", default="stix", type=click.Choice(["stix"]), show_default=True)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--text-column", help="CSV column with the text.")
@click.option("--identity", default="OpenNRM monitoring", show_default=True, help="Producer.")
@click.option(
    "--tlp",
    type=click.Choice(["white", "green", "amber", "red"]),
    help="TLP marking (default amber, red with --victim-related).",
)
@click.option("--victim-related", is_flag=True, help="Posts concern a possible victim: TLP:RED.")
@click.option("--regions", default="UA,PL,MD,RO,DE", show_default=True, help="Phone regions.")
@click.option("--encoding", help="Force the input encoding.")
def export(
    input_path: Path,
    fmt: str,
    output: Path,
    text_column: str | None,
    identity: str,
    tlp: str | None,
    victim_related: bool,
    regions: str,
    encoding: str | None,
) -> None:
    """Export the contacts found in posts as a STIX 2.1 bundle (no post text)."""
    from opennrm.monitoring.stix import bundle_json, to_stix_bundle

    region_codes = _regions(regions)
    posts = list(_posts_from(input_path, text_column, encoding))
    bundle = to_stix_bundle(
        posts, identity_name=identity, tlp=tlp, victim_related=victim_related,
        regions=region_codes,
    )  # fmt: skip
    try:
        with output.open("w", encoding="utf-8") as out:
            _write(out, bundle_json(bundle))
    except OSError as exc:
        raise InputError(f"{output}: {os_reason(exc)}") from exc
    indicators = sum(1 for o in bundle.objects if o.type == "indicator")
    wrote = ngettext(
        "wrote %(count)s indicator from %(posts)s posts to %(path)s",
        "wrote %(count)s indicators from %(posts)s posts to %(path)s",
        indicators,
    )
    click.echo(wrote % {"count": indicators, "posts": len(posts), "path": output}, err=True)


def _write(out: IO[str], text: str) -> None:
    out.write(text)
    out.write("\n")
