"""``opennrm stats …``: publish tables, exports, synthetic data and the annual report
from the command line (for schedules). Files appear whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from opennrm.cli._i18n import cli_gettext, cli_ngettext, number, percent


def _setup() -> None:
    from opennrm.cli.app import _setup as setup

    setup()


def _write_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(work: Callable[[], Any]) -> Any:
    """Run inside one transaction; a domain error becomes a message and exit status 2."""
    from django.db import transaction

    from opennrm.core.errors import DomainError

    try:
        with transaction.atomic():
            return work()
    except DomainError as error:
        raise click.ClickException(error.message) from None


def _actor_and_country(user: str | None, country: str | None) -> tuple[Any, str]:
    from opennrm.accounts.models import User
    from opennrm.stats.reports import require_statistics_role

    actor = None
    if user:
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise click.ClickException(
                cli_gettext("no active user %(name)s") % {"name": repr(user)}
            )
        from opennrm.core.errors import DomainError

        try:
            country = require_statistics_role(actor)
        except DomainError as error:
            raise click.ClickException(error.message) from None
    if not country:
        raise click.ClickException(
            cli_gettext("give --user USERNAME (with a statistics role) or --country CC")
        )
    return actor, country.upper()


_user = click.option("--user", help="acting user (statistics role), recorded in the audit log")
_country = click.option("--country", help="two-letter country code when no --user is given")
_from = click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="first day")
_to = click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="last day")


def _day(value: Any) -> date | None:
    return value.date() if value is not None else None


@click.group()
def stats() -> None:
    """Protected statistics: tables, exports, DP synthetic data, the annual report."""


@stats.command()
@_from
@_to
@click.option("--region", default="")
@click.option("--epsilon", type=float, help="differential privacy instead of suppression")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), required=True)
@_user
@_country
def tables(
    start: Any,
    end: Any,
    region: str,
    epsilon: float | None,
    output: Path,
    user: str | None,
    country: str | None,
) -> None:
    """Official tables as CSV files (and tables.xlsx) in DIR, suppression applied."""
    _setup()
    from opennrm.stats.reports import scope_for_country
    from opennrm.stats.services import stats_tables_release

    actor, code = _actor_and_country(user, country)

    def work() -> int:
        scope = scope_for_country(code, start=_day(start), end=_day(end), region=region)
        release = stats_tables_release(actor=actor, scope=scope, epsilon=epsilon)
        staging = Path(tempfile.mkdtemp(dir=output.parent if output.parent.exists() else None))
        try:
            for name, content in release.files.items():
                (staging / name).write_bytes(content)
            output.mkdir(parents=True, exist_ok=True)
            for name in release.files:
                os.replace(staging / name, output / name)
        finally:
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()
        return len(release.files)

    n = _run(work)
    said = cli_ngettext(
        "%(count)s files written to %(path)s", "%(count)s files written to %(path)s", n
    )
    click.echo(said % {"count": n, "path": output})


@stats.command()
@click.option("--format", "fmt", type=click.Choice(["htcds"]), default="htcds")
@click.option("--k", "k", type=int, default=11, show_default=True)
@click.option(
    "--l",
    "l_div",
    type=int,
    default=1,
    show_default=True,
    help="l-diversity on the form of exploitation",
)
@_from
@_to
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_user
@_country
def export(
    fmt: str,
    k: int,
    l_div: int,
    start: Any,
    end: Any,
    output: Path,
    user: str | None,
    country: str | None,
) -> None:
    """Record-level HTCDS/CTDC data set, k-anonymous (default k = 11)."""
    _setup()
    from opennrm.stats.reports import scope_for_country
    from opennrm.stats.services import stats_htcds_export

    actor, code = _actor_and_country(user, country)
    default_start = None if start else date(date.today().year - 4, 1, 1)  # noqa: DTZ011

    def work() -> Any:
        scope = scope_for_country(code, start=_day(start) or default_start, end=_day(end))
        release = stats_htcds_export(actor=actor, scope=scope, k=k, l_diversity=l_div)
        _write_atomic(output, release.content)
        return release.report

    report = _run(work)
    said = cli_ngettext(
        "%(count)s of %(total)s records written to %(path)s (k = %(k)s, %(removed)s removed, "
        "%(share)s)",
        "%(count)s of %(total)s records written to %(path)s (k = %(k)s, %(removed)s removed, "
        "%(share)s)",
        report.records_in,
    )
    written = {
        "count": report.records_out,
        "total": report.records_in,
        "path": output,
        "k": report.k,
        "removed": report.suppressed,
        "share": percent(report.suppressed_share, 1),
    }
    click.echo(said % written)
    for g in report.generalisations:
        click.echo(f"  {g.field}: {g.description}")


@stats.command()
@click.option("--epsilon", type=float, required=True)
@click.option("--rows", type=int, required=True)
@_from
@_to
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_user
@_country
def synthetic(
    epsilon: float,
    rows: int,
    start: Any,
    end: Any,
    output: Path,
    user: str | None,
    country: str | None,
) -> None:
    """DP synthetic records from noisy marginals; spends EPSILON from each year's budget."""
    _setup()
    from opennrm.stats.reports import scope_for_country
    from opennrm.stats.services import stats_synthetic_export

    actor, code = _actor_and_country(user, country)
    default_start = None if start else date(date.today().year, 1, 1)  # noqa: DTZ011

    def work() -> Any:
        scope = scope_for_country(code, start=_day(start) or default_start, end=_day(end))
        release = stats_synthetic_export(actor=actor, scope=scope, epsilon=epsilon, rows=rows)
        _write_atomic(output, release.content)
        return release

    release = _run(work)
    said = cli_ngettext(
        "%(count)s synthetic records written to %(path)s",
        "%(count)s synthetic records written to %(path)s",
        rows,
    )
    click.echo(said % {"count": rows, "path": output})
    click.echo(release.data.method())
    for m in release.utility:
        said = cli_gettext(
            "%(width)s-way marginals (%(count)s): mean absolute error %(error)s, mean total "
            "variation %(variation)s"
        )
        utility = {
            "width": m.width,
            "count": m.marginals,
            "error": number(m.mean_abs_error, 2),
            "variation": number(m.mean_total_variation, 3),
        }
        click.echo("  " + said % utility)


@stats.command()
@click.option("--year", type=int, required=True)
@click.option("--lang", type=click.Choice(["en", "uk", "ru"]), default="en")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_user
@_country
def report(year: int, lang: str, output: Path, user: str | None, country: str | None) -> None:
    """The annual report as PDF."""
    _setup()
    from opennrm.stats.reports import year_scope
    from opennrm.stats.services import stats_annual_report

    actor, code = _actor_and_country(user, country)

    def work() -> None:
        scope = year_scope(code, year)
        _write_atomic(
            output, stats_annual_report(actor=actor, scope=scope, year=year, language=lang)
        )

    _run(work)
    click.echo(cli_gettext("report written to %(path)s") % {"path": output})
