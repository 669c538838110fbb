"""Statistics pages and downloads: aggregates only, each protected and saying how.

Bad input never reaches an error page: the dashboard shows the message instead."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from opennrm.core.errors import DomainError, ValidationFailed
from opennrm.stats import reports, services
from opennrm.stats.forms import HtcdsForm, PeriodForm, ReportForm, SyntheticForm
from opennrm.stats.selectors import Scope, stats_regions


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _require_valid(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data, or its first error as :class:`ValidationFailed`."""
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise ValidationFailed(str(errors[0]), field=field)
    return form.cleaned_data


def _period(request: HttpRequest) -> tuple[PeriodForm, Scope]:
    country = reports.require_statistics_role(request.user)  # type: ignore[arg-type]
    form = PeriodForm(request.GET or None, regions=stats_regions(country))
    data = _require_valid(form) if form.is_bound else {}
    scope = reports.scope_for(
        request.user,  # type: ignore[arg-type]
        start=data.get("start"),
        end=data.get("end"),
        region=data.get("region") or "",
    )
    return form, scope


def _back(request: HttpRequest, error: DomainError) -> HttpResponse:
    messages.error(request, error.message)
    query = {k: v for k, v in request.GET.items() if k in ("start", "end", "region")}
    target = reverse("stats:dashboard")
    return redirect(f"{target}?{urlencode(query)}" if query else target)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        country = reports.require_statistics_role(request.user)  # type: ignore[arg-type]
    except DomainError as error:
        return render(request, "web/error.html", {"error": error}, status=error.status_code)
    context: dict[str, Any] = {
        "htcds_form": HtcdsForm(),
        "synthetic_form": SyntheticForm(),
        "report_form": ReportForm(
            initial={"year": timezone.localdate().year - 1, "lang": request.LANGUAGE_CODE[:2]}
        ),
    }
    try:
        form, scope = _period(request)
        context.update(
            form=form, board=reports.dashboard(request.user, scope), query=request.GET.urlencode()
        )  # type: ignore[arg-type]
        context["budget_left"] = services.privacy_budget_left(country, scope.end.year)
    except DomainError as error:
        context["form"] = PeriodForm(request.GET or None, regions=stats_regions(country))
        context["problem"] = error.message
    return render(request, "stats/dashboard.html", context)


@login_required
def tables_download(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        _form, scope = _period(request)
        release = services.stats_tables_release(actor=request.user, scope=scope)  # type: ignore[arg-type]
    except DomainError as error:
        return _back(request, error)
    if fmt == "xlsx":
        return _download(
            release.files["tables.xlsx"],
            "opennrm-tables.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return _download(services.tables_zip(release), "opennrm-tables-csv.zip", "application/zip")


@login_required
def htcds_download(request: HttpRequest) -> HttpResponse:
    form = HtcdsForm(request.GET)
    try:
        _require_valid(form)
        _form, scope = _period(request)
        release = services.stats_htcds_export(
            actor=request.user,  # type: ignore[arg-type]
            scope=scope,
            k=form.cleaned_data["k"],
            l_diversity=form.cleaned_data["l_diversity"],
        )
    except DomainError as error:
        return _back(request, error)
    return _download(release.content, "opennrm-htcds.csv", "text/csv; charset=utf-8")


@login_required
@require_http_methods(["POST"])
def synthetic_download(request: HttpRequest) -> HttpResponse:
    form = SyntheticForm(request.POST)
    try:
        _require_valid(form)
        _form, scope = _period(request)
        release = services.stats_synthetic_export(
            actor=request.user,  # type: ignore[arg-type]
            scope=scope,
            epsilon=form.cleaned_data["epsilon"],
            rows=form.cleaned_data["rows"],
        )
    except DomainError as error:
        return _back(request, error)
    return _download(release.content, "opennrm-synthetic.csv", "text/csv; charset=utf-8")


@login_required
def report_download(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET)
    try:
        country = reports.require_statistics_role(request.user)  # type: ignore[arg-type]
        _require_valid(form)
        year = form.cleaned_data["year"]
        scope = reports.year_scope(country, year)
        pdf = services.stats_annual_report(
            actor=request.user,  # type: ignore[arg-type]
            scope=scope,
            year=year,
            language=form.cleaned_data["lang"],
        )
    except DomainError as error:
        return _back(request, error)
    return _download(pdf, f"opennrm-report-{year}.pdf", "application/pdf")
