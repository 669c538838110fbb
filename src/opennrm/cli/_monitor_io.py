"""``opennrm monitor ingest|extract|export``.

Errors about the input (missing file or column, unknown format, unreadable encoding)
exit with status 2 and a message naming the file and column; bad *records* inside a
file are reported and skipped, not fatal.
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

from opennrm.cli.monitor import monitor

_SHOW_PROBLEMS = 10


class InputError(click.ClickException):
    """A whole input cannot be used (exit status 2)."""

    exit_code = 2


def _regions(value: str) -> tuple[str, ...]:
    regions = tuple(r.strip().upper() for r in value.split(",") if r.strip())
    bad = [r for r in regions if len(r) != 2 or not r.isalpha()]
    if bad or not regions:
        raise click.BadParameter(f"expected ISO country codes like UA,PL,MD; got {value!r}")
    return regions


def _progress(items: Any, desc: str) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped]  # lazy: streaming commands only

    return tqdm(items, desc=desc, unit=" posts", file=sys.stderr, disable=None, leave=False)


def _summary(report: Any) -> None:
    click.echo(
        f"read {report.read}, ok {report.ok}, skipped {report.skipped}, "
        f"duplicates {report.duplicates}, ignored {report.ignored}",
        err=True,
    )
    for location, reason in report.problems[:_SHOW_PROBLEMS]:
        click.echo(f"  {location}: {reason}", err=True)
    if report.skipped > _SHOW_PROBLEMS:
        click.echo(f"  ... and {report.skipped - _SHOW_PROBLEMS} more", err=True)


# --------------------------------------------------------------------------- ingest


@monitor.command()
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
            raise InputError(f"{name}: no such file")
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
        raise InputError(str(exc)) from exc
    except (LookupError, UnicodeError) as exc:
        raise InputError(f"encoding problem: {exc}") from exc
    except OSError as exc:
        raise InputError(f"{exc.filename or output}: {exc.strerror or exc}") from exc
    _summary(report)
    click.echo(f"wrote {report.ok} posts to {output}", err=True)


# --------------------------------------------------------------------------- tables


def _read_table(
    path: Path, text_column: str | None, encoding: str | None
) -> tuple[list[str], str, Iterator[dict[str, str]], list[int]]:
    """Columns, text column and rows of a CSV or JSON Lines file (``skipped`` is a counter)."""
    from opennrm.monitoring.ingest import (
        TEXT_COLUMNS,
        allow_huge_csv_fields,
        detect_format,
        open_text,
        sniff_dialect,
        undecodable,
    )

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        fmt = detect_format(path)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from exc
    skipped = [0]
    raw = path.open("rb")
    try:
        stream, enc = open_text(raw, encoding)
    except LookupError as exc:
        raw.close()
        raise InputError(f"{path}: unknown encoding {encoding!r}") from exc
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
                        click.echo(f"  {path.name}:{lineno}: no {key!r} text, skipped", err=True)
                        continue
                    yield {k: "" if v is None else str(v) for k, v in obj.items()}

        return columns, key, jsonl_rows(), skipped
    if fmt != "csv":
        raw.close()
        raise InputError(f"{path}: expected a CSV or JSON Lines file, found {fmt}")
    allow_huge_csv_fields()
    head = stream.read(16384)
    head += stream.readline()  # finish the line the sample may have cut
    reader = csv.reader(itertools.chain(io.StringIO(head), stream), sniff_dialect(head))
    try:
        header = [h.lstrip("\ufeff").strip() for h in next(reader)]
    except StopIteration:
        raw.close()
        raise InputError(f"{path}: empty file") from None
    except csv.Error as exc:
        raw.close()
        raise InputError(f"{path}: unreadable CSV header ({exc})") from exc
    if any(undecodable(h) for h in header):
        raw.close()
        raise InputError(f"{path}: does not decode as {enc}; use --encoding")
    found = text_column or next((h for h in header if h.lower() in TEXT_COLUMNS), None)
    if found is None or found not in header:
        raw.close()
        raise InputError(
            f"{path}: no column {text_column or '/'.join(TEXT_COLUMNS)!r} "
            f"(columns: {', '.join(header)})"
        )
    col: str = found

    def csv_rows() -> Iterator[dict[str, str]]:
        with raw:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    skipped[0] += 1
                    click.echo(f"  {path.name}:{reader.line_num}: {exc}, skipped", err=True)
                    continue
                if not row:
                    continue
                if len(row) != len(header) or any(undecodable(v) for v in row):
                    skipped[0] += 1
                    reason = "undecodable" if len(row) == len(header) else "wrong field count"
                    click.echo(f"  {path.name}:{reader.line_num}: {reason}, skipped", err=True)
                    continue
                yield dict(zip(header, row, strict=True))

    return header, col, csv_rows(), skipped


@monitor.command(name="extract")
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
        raise InputError(f"{exc.filename or output}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {count} rows to {output}; skipped {skipped[0]}", err=True)


def _posts_from(path: Path, text_column: str | None, encoding: str | None) -> Iterator[Any]:
    from opennrm.monitoring.ingest import IngestError, IngestReport, detect_format, iter_posts

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    fmt = detect_format(path)
    if fmt not in ("jsonl", "csv"):
        raise InputError(f"{path}: expected posts.jsonl or a CSV file, found {fmt}")
    report = IngestReport()
    try:
        yield from iter_posts(path, fmt, report=report, text_column=text_column, encoding=encoding)
    except IngestError as exc:
        raise InputError(str(exc)) from exc
    if report.skipped:
        _summary(report)


@monitor.command()
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
    from opennrm.monitoring.stix import to_stix_bundle

    region_codes = _regions(regions)
    posts = list(_posts_from(input_path, text_column, encoding))
    bundle = to_stix_bundle(
        posts, identity_name=identity, tlp=tlp, victim_related=victim_related,
        regions=region_codes,
    )  # fmt: skip
    try:
        with output.open("w", encoding="utf-8") as out:
            _write(out, bundle.serialize(pretty=True))
    except OSError as exc:
        raise InputError(f"{output}: {exc.strerror or exc}") from exc
    indicators = sum(1 for o in bundle.objects if o.type == "indicator")
    click.echo(f"wrote {indicators} indicators from {len(posts)} posts to {output}", err=True)


def _write(out: IO[str], text: str) -> None:
    out.write(text)
    out.write("\n")
