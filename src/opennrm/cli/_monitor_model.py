"""``opennrm monitor train|score|cluster``: risk model and campaigns on any CSV.

Every command reads a CSV with a header row and needs only the name of the text column
(and, for ``train``, of a 0/1 label column), so anyone can evaluate the pipeline on their
own labelled data. Progress bars go to stderr; a summary is printed at the end, in the
command's language (``--language``; the CSV files written are the same in every language).
Input problems (missing file or column, bad labels, undecodable bytes) end with exit
status 2 and a message naming the file and column. Heavy libraries are imported inside commands.

Model directories are trusted input (they contain a pickle): see
:mod:`opennrm.monitoring._model`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from opennrm.cli._i18n import (
    InputError,
    current_language,
    gettext,
    language_option,
    ngettext,
    number,
    os_reason,
    percent,
)
from opennrm.cli.monitor import monitor

if TYPE_CHECKING:
    from opennrm.monitoring._post import Post
    from opennrm.monitoring.pipeline import PipelineConfig, PipelineResult

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_ = gettext
_TRUE = {"1", "true", "yes", "y", "spam", "risk", "positive"}
_FALSE = {"0", "false", "no", "n", "ham", "normal", "negative"}


def _delimiter(path: Path) -> str:
    """The delimiter of a CSV: whichever of , ; tab | splits the header line most."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _why(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return _("not UTF-8 text")
    return os_reason(exc) if isinstance(exc, OSError) else str(exc)


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(
        _("%(path)s: cannot read CSV (%(error)s)") % {"path": path, "error": _why(exc)}
    )


def _open_csv(path: Path, column: str, *extra: str) -> tuple[list[str], Iterator[dict[str, str]]]:
    """Header and row iterator; InputError (exit 2) for unreadable files or missing columns."""
    delimiter = _delimiter(path)
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
        reader = csv.DictReader(fh, delimiter=delimiter)
        header = list(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(path, exc) from exc
    for name in (column, *extra):
        if name not in header:
            fh.close()
            shown = ", ".join(header) if header else _("none")
            raise InputError(
                _("%(path)s: no column %(column)r (columns: %(columns)s)")
                % {"path": path, "column": name, "columns": shown}
            )

    def rows() -> Iterator[dict[str, str]]:
        with fh:
            try:
                yield from reader
            except (UnicodeDecodeError, csv.Error) as exc:
                raise InputError(
                    _("%(path)s: cannot read CSV near line %(line)s (%(error)s)")
                    % {"path": path, "line": reader.line_num, "error": _why(exc)}
                ) from exc

    return header, rows()


def _posts(path: Path, column: str) -> Iterator[Post]:
    from opennrm.monitoring._post import Post

    _header, rows = _open_csv(path, column)
    for i, row in enumerate(rows):
        yield Post.create("csv", row.get(column) or "", record=f"{path.name}:{i + 2}")


def _progress(label: str) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped]

    return tqdm(
        desc=label, unit=" " + _("posts"), file=sys.stderr, dynamic_ncols=True, mininterval=0.5
    )


def _run(
    path: Path,
    column: str,
    *,
    model: Any,
    config: PipelineConfig,
    dask_scheduler: str | None,
    dask_workers: int | None,
    label: str,
) -> PipelineResult:
    bar = _progress(label)
    try:
        if dask_scheduler or dask_workers:
            from opennrm.monitoring.dask import run_pipeline_dask

            return run_pipeline_dask(
                _posts(path, column),
                model=model,
                config=config,
                scheduler_address=dask_scheduler,
                n_workers=dask_workers or 2,
                progress=bar.update,
            )
        from opennrm.monitoring.pipeline import run_pipeline

        return run_pipeline(_posts(path, column), model=model, config=config, progress=bar.update)
    finally:
        bar.close()


def _write(path: Path, column: str, out: Path, new: list[str], values: Iterator[list[Any]]) -> None:
    header, rows = _open_csv(path, column)
    columns = header + [c for c in new if c not in header]
    try:
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, delimiter=_delimiter(path))
            writer.writeheader()
            for row, extra in zip(rows, values, strict=True):
                row.pop(None, None)  # type: ignore[call-overload]  # surplus cells
                row.update(zip(new, extra, strict=True))
                writer.writerow(row)
    except OSError as exc:
        raise InputError(
            _("%(path)s: cannot write (%(error)s)") % {"path": out, "error": os_reason(exc)}
        ) from exc


def _load_flags(path: Path | None) -> Any:
    """The indicator flags of ``--flags`` (default: the packaged ones); InputError (exit 2)
    for a file that is missing or not a flags file."""
    from opennrm.monitoring._flags import load_flags

    try:
        return load_flags(path)
    except OSError as exc:
        raise InputError(f"{path}: {os_reason(exc)}") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # FlagDataError, JSON
        raise InputError(
            _("%(path)s: not a flags file (%(error)s)") % {"path": path, "error": exc}
        ) from exc


def _load_model(directory: Path | None) -> Any:
    if directory is None:
        return None
    from opennrm.monitoring._model import ModelError, load_model

    try:
        return load_model(directory)
    except ModelError as exc:
        said = {
            "model.missing": _(
                "%(path)s: not a model directory (needs manifest.json and model.joblib)"
            ),
            "model.manifest": _("%(path)s: unreadable manifest"),
            "model.format": _("%(path)s: unsupported format_version"),
            "model.checksum": _("%(path)s: SHA-256 does not match the manifest; refusing to load"),
        }.get(exc.code)
        if said is None or current_language() == "en":
            raise InputError(str(exc)) from exc
        raise InputError(said % {"path": exc.path}) from exc


_dask_options = [
    click.option("--dask-scheduler", metavar="ADDR", help="Run on this Dask scheduler."),
    click.option(
        "--dask-workers", type=click.IntRange(min=1), help="Run on a local Dask cluster of N."
    ),
]


def _with_dask(f: Any) -> Any:
    for option in reversed(_dask_options):
        f = option(f)
    return f


_input = click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV file with a header row.",
)
_text = click.option("--text-column", required=True, help="Name of the text column.")


def _training_files(inputs: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.csv") if p.is_file())
            if not found:
                raise InputError(_("%(path)s: no .csv file in this directory") % {"path": path})
            files.extend(found)
        else:
            files.append(path)
    return files


@monitor.command()
@language_option
@click.option(
    "--input",
    "inputs",
    required=True,
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="CSV file with a header row, or a directory of them; repeat for several.",
)
@_text
@click.option("--label-column", required=True, help="Column with 0/1 (or true/false) labels.")
@click.option("--model", "model_dir", required=True, type=click.Path(path_type=Path))
@click.option("--folds", default=3, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--flags", "flags_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--false-alarm-rate",
    type=click.FloatRange(0, 1, max_open=True),
    help="Choose the threshold that flags at most this share of the ordinary (label 0) "
    "rows, out-of-fold (default: the threshold of best F1).",
)
def train(
    inputs: tuple[Path, ...],
    text_column: str,
    label_column: str,
    model_dir: Path,
    folds: int,
    seed: int,
    flags_path: Path | None,
    false_alarm_rate: float | None,
) -> None:
    """Train the calibrated risk model on one or more labelled CSV files; print CV metrics."""
    from opennrm.monitoring._model import ModelConfig, save_model
    from opennrm.monitoring.scoring import train_risk_model

    flags = _load_flags(flags_path)  # fail early, before reading the data
    texts: list[str] = []
    labels: list[int] = []
    sources: list[str] = []
    digest = hashlib.sha256()
    files = _training_files(inputs)
    for input_path in files:
        _header, rows = _open_csv(input_path, text_column, label_column)
        for i, row in enumerate(rows):
            raw = (row.get(label_column) or "").strip().lower()
            if raw in _TRUE:
                labels.append(1)
            elif raw in _FALSE:
                labels.append(0)
            else:
                raise InputError(
                    _("%(path)s: column %(column)r line %(line)s: label %(label)r is not 0/1")
                    % {"path": input_path, "column": label_column, "line": i + 2, "label": raw}
                )
            text = row.get(text_column) or ""
            texts.append(text)
            sources.append(str(input_path))
            digest.update(f"{labels[-1]}\x1f{text}\x1e".encode())
    where = files[0] if len(files) == 1 else _("%(count)s files") % {"count": len(files)}
    counts = Counter(labels)
    if min(counts[0], counts[1]) < folds:
        raise InputError(
            _(
                "%(path)s: column %(column)r needs at least %(folds)s rows of each label "
                "(has %(positive)s positive, %(negative)s negative)"
            )
            % {
                "path": where,
                "column": label_column,
                "folds": folds,
                "positive": counts[1],
                "negative": counts[0],
            }
        )
    training = ngettext(
        "training on %(rows)s rows (%(positive)s positive) from %(count)s file, %(folds)s-fold CV",
        "training on %(rows)s rows (%(positive)s positive) from %(count)s files, %(folds)s-fold CV",
        len(files),
    )
    values = {"rows": len(labels), "positive": counts[1], "count": len(files), "folds": folds}
    click.echo(training % values, err=True)
    started = time.process_time()
    report = train_risk_model(
        texts,
        labels,
        flags=flags,
        config=ModelConfig(cv_folds=folds, seed=seed),
        data_sha256=digest.hexdigest(),
        false_alarm_rate=false_alarm_rate,
        sources=sources,
    )
    cpu = time.process_time() - started
    save_model(report.model, model_dir)
    _training_report(report, model_dir, cpu, false_alarm_rate)


def _training_report(
    report: Any, model_dir: Path, cpu: float, false_alarm_rate: float | None
) -> None:
    """The cross-validated metrics of ``monitor train``, in the command's language."""
    heads = [_("scorer"), _("thr"), _("prec"), _("recall"), "F1", "AUC", "Brier"]
    click.echo(
        f"{heads[0]:<10} " + " ".join(f"{h:>{5 if i == 0 else 6}}" for i, h in enumerate(heads[1:]))
    )
    for name, m in (
        (_("model"), report.model_metrics),
        (_("combined"), report.combined_metrics),
        (_("flags"), report.flags_metrics),
    ):
        cells = [number(m.threshold, 2).rjust(5)]
        cells += [number(v, 3).rjust(6) for v in (m.precision, m.recall, m.f1, m.roc_auc, m.brier)]
        click.echo(f"{name:<10} " + " ".join(cells))
    click.echo(
        _("any flag: precision %(precision)s recall %(recall)s")
        % {
            "precision": number(report.flags_any_precision, 3),
            "recall": number(report.flags_any_recall, 3),
        }
    )
    click.echo(_("reliability (combined, out-of-fold): predicted -> observed (n)"))
    for b in report.combined_metrics.reliability:
        click.echo(
            f"  {number(b.lower, 1)}-{number(b.upper, 1)}: {number(b.mean_predicted, 3)} -> "
            f"{number(b.observed_rate, 3)} ({b.count})"
        )
    for name, rate in report.model.manifest.get("false_alarms_by_source", {}).items():
        click.echo(
            _("ordinary rows flagged (out-of-fold), %(source)s: %(rate)s")
            % {"source": name, "rate": percent(rate)}
        )
    if false_alarm_rate is None:
        rule = _("max F1 (out-of-fold)")
    else:
        rule = _("at most %(rate)s of ordinary rows flagged in each source (out-of-fold)") % {
            "rate": percent(false_alarm_rate)
        }
    click.echo(
        _("model saved to %(path)s (threshold %(threshold)s, %(rule)s; trained in %(cpu)s CPU-s)")
        % {
            "path": model_dir,
            "threshold": number(report.model.threshold, 3),
            "rule": rule,
            "cpu": number(cpu, 1),
        }
    )


@monitor.command()
@language_option
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model directory "
              "(trusted input). Without it, only the indicator flags score.")  # fmt: skip
@_input
@_text
@click.option("--output", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--threshold", type=click.FloatRange(0, 1), help="Override the model's threshold.")
@click.option("--flags", "flags_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--labels-language", type=click.Choice(["en", "uk", "ru"]), default="en")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(min=1))
@_with_dask
def score(
    model_dir: Path | None,
    input_path: Path,
    text_column: str,
    output: Path,
    threshold: float | None,
    flags_path: Path | None,
    labels_language: str,
    batch_size: int,
    dask_scheduler: str | None,
    dask_workers: int | None,
) -> None:
    """Add risk (0-1), flagged (0/1) and reasons columns to a CSV."""
    from opennrm.monitoring.pipeline import PipelineConfig

    model = _load_model(model_dir)
    flags = _load_flags(flags_path)
    _open_csv(input_path, text_column)  # fail early, before loading anything heavy
    config = PipelineConfig(
        batch_size=batch_size,
        flags_path=str(flags_path) if flags_path else None,
        threshold=threshold,
        extract=False,
        detect_language=False,
        label_language=labels_language,
    )
    result = _run(
        input_path,
        text_column,
        model=model,
        config=config,
        dask_scheduler=dask_scheduler,
        dask_workers=dask_workers,
        label=_("scoring"),
    )
    values = (
        [f"{p.risk:.4f}", int(p.flagged), p.category or "", p.explain()] for p in result.posts
    )
    _write(input_path, text_column, output, ["risk", "flagged", "category", "reasons"], values)
    flagged = sum(p.flagged for p in result.posts)
    top = Counter(r.id for p in result.posts for r in p.reasons if r.kind == "flag")
    recruitment = sum(p.category == "recruitment" for p in result.posts)
    scored = ngettext(
        "scored %(count)s post: %(flagged)s flagged (%(recruitment)s recruitment, "
        "%(other)s other spam) -> %(path)s",
        "scored %(count)s posts: %(flagged)s flagged (%(recruitment)s recruitment, "
        "%(other)s other spam) -> %(path)s",
        len(result.posts),
    )
    click.echo(
        scored
        % {
            "count": len(result.posts),
            "flagged": flagged,
            "recruitment": recruitment,
            "other": flagged - recruitment,
            "path": output,
        }
    )
    language = current_language()
    for flag_id, n in top.most_common(5):  # each flag by its label in the command's language
        flag = flags.by_id.get(flag_id)
        label = (flag.label.get(language) or flag.label.get("en")) if flag else None
        click.echo(f"  {label or flag_id}: {n}")


@monitor.command()
@language_option
@_input
@_text
@click.option("--output", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--templates", type=click.Path(path_type=Path, dir_okay=False),
              help="Write campaigns (templates, statistics) and networks as JSON.")  # fmt: skip
@click.option("--similarity", default=0.5, show_default=True, type=click.FloatRange(0.05, 1.0),
              help="Estimated Jaccard similarity that links two posts.")  # fmt: skip
@click.option("--num-perm", default=64, show_default=True, type=click.IntRange(16, 512))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--model", "model_dir", type=click.Path(path_type=Path),
              help="Also score posts (campaign risk statistics).")  # fmt: skip
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(min=1))
@_with_dask
def cluster(
    input_path: Path,
    text_column: str,
    output: Path,
    templates: Path | None,
    similarity: float,
    num_perm: int,
    seed: int,
    model_dir: Path | None,
    batch_size: int,
    dask_scheduler: str | None,
    dask_workers: int | None,
) -> None:
    """Add cluster_id (near-duplicate campaign) and network_id columns to a CSV."""
    from opennrm.monitoring.cluster import ClusterConfig
    from opennrm.monitoring.pipeline import PipelineConfig

    model = _load_model(model_dir)
    _open_csv(input_path, text_column)
    config = PipelineConfig(
        batch_size=batch_size,
        cluster=ClusterConfig(num_perm=num_perm, threshold=similarity, seed=seed),
        top_features=0,
    )
    result = _run(
        input_path,
        text_column,
        model=model,
        config=config,
        dask_scheduler=dask_scheduler,
        dask_workers=dask_workers,
        label=_("clustering"),
    )
    sizes = Counter(result.cluster_ids)
    values = (
        [cid, sizes[cid], nid or ""]
        for cid, nid in zip(result.cluster_ids, result.network_ids, strict=True)
    )
    _write(input_path, text_column, output, ["cluster_id", "cluster_size", "network_id"], values)
    if templates is not None:
        doc = {
            "flags_version": result.flags_version,
            "campaigns": [g.to_dict() for g in result.campaigns],
            "networks": [g.to_dict() for g in result.networks],
        }
        try:
            templates.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        except OSError as exc:
            raise InputError(
                _("%(path)s: cannot write (%(error)s)")
                % {"path": templates, "error": os_reason(exc)}
            ) from exc
    in_campaigns = sum(g.size for g in result.campaigns)
    clustered = ngettext(
        "clustered %(count)s post: %(campaigns)s campaigns (%(in_campaigns)s posts), "
        "%(networks)s contact networks -> %(path)s",
        "clustered %(count)s posts: %(campaigns)s campaigns (%(in_campaigns)s posts), "
        "%(networks)s contact networks -> %(path)s",
        len(result.posts),
    )
    click.echo(
        clustered
        % {
            "count": len(result.posts),
            "campaigns": len(result.campaigns),
            "in_campaigns": in_campaigns,
            "networks": len(result.networks),
            "path": output,
        }
    )
    for g in result.campaigns[:5]:
        click.echo(f"  {g.id[:12]} x{g.size}: {g.template[:90]}")
