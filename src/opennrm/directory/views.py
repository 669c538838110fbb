"""Directory pages: list with filters, one service, free places, HSDS import and export."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opennrm.accounts.roles import CASE_ROLES
from opennrm.core.errors import DomainError
from opennrm.directory import selectors, services
from opennrm.directory.forms import CapacityForm, DirectoryFilter, ImportForm, MatchForm
from opennrm.directory.models import Service
from opennrm.directory.selectors import IMPORT_ROLES
from opennrm.web.views import page


@page()
def service_list(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilter(
        request.GET or None,
        regions=selectors.directory_regions(),
        languages=selectors.directory_languages(),
    )
    form.is_valid()  # a value no longer offered is ignored; the other filters still apply
    filters: dict[str, Any] = {k: v or None for k, v in getattr(form, "cleaned_data", {}).items()}
    rows = selectors.services_list(**filters)
    context = {
        "form": form,
        "services": [(s, selectors.service_regions(s)) for s in rows],
        "can_import": request.user.role in IMPORT_ROLES,  # type: ignore[union-attr]
        "can_match": request.user.role in CASE_ROLES,  # type: ignore[union-attr]
    }
    template = "directory/_service_rows.html" if request.headers.get("HX-Request") else None
    return render(request, template or "directory/service_list.html", context)


def _detail(
    request: HttpRequest, service: Service, form: CapacityForm | None = None, *, status: int = 200
) -> HttpResponse:
    editable = selectors.capacity_editable_by(request.user, service)  # type: ignore[arg-type]
    if editable and form is None and service.capacity_available is not None:
        form = CapacityForm(
            initial={"available": service.capacity_available, "version": service.version}
        )
    context = {
        "service": service,
        "regions": selectors.service_regions(service),
        "locations": [link.location for link in service.at_locations.all()],
        "form": form if editable else None,
    }
    return render(request, "directory/service_detail.html", context, status=status)


@page()
def service_detail(request: HttpRequest, service_id: str) -> HttpResponse:
    return _detail(request, selectors.service_get(service_id))


@page()
@require_POST
def service_capacity(request: HttpRequest, service_id: str) -> HttpResponse:
    service = selectors.service_get(service_id)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        return _detail(request, service, form, status=422)
    try:
        services.service_capacity_update(
            actor=request.user,  # type: ignore[arg-type]
            service=service,
            available=form.cleaned_data["available"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as error:
        form.add_error("available" if error.field != "version" else None, error.message)
        if error.field == "version":
            service = selectors.service_get(service_id)  # show the number now stored
        return _detail(request, service, form, status=error.status_code)
    messages.success(request, _("Free places updated."))
    return redirect("directory:service_detail", service_id=service.pk)


@page(IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def directory_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_IMPORT_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(mb)s MB. Split it into smaller files.")
                % {"mb": services.MAX_IMPORT_BYTES // 1_000_000},
            )
            status = 413
        else:
            try:
                context["report"] = services.directory_import(
                    actor=request.user,  # type: ignore[arg-type]
                    data=upload.read(),
                )
            except DomainError as error:
                form.add_error("file", error.message)
                status = error.status_code
    return render(request, "directory/import.html", context, status=status)


@page()
def directory_export(request: HttpRequest) -> HttpResponse:
    document = services.directory_export(actor=request.user)  # type: ignore[arg-type]
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="opennrm-directory-hsds.json"'
    return response


@page(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def service_match(request: HttpRequest) -> HttpResponse:
    """Rank services for what is known of a person. The facts come in the POST body only and
    are neither stored nor audited (they name no one); the page shows the reasons for each rank."""
    form = MatchForm(request.POST or None, regions=selectors.directory_regions())
    ranked = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency = request.user.agency  # type: ignore[union-attr]
        ranked = selectors.services_ranked(
            needs=data["needs"],
            language=data["language"] or None,
            gender=data["gender"] or None,
            age=data["age"],
            region=data["region"] or None,
            country=agency.country if agency is not None else "UA",
            nationality=data["nationality"] or None,
        )
    return render(request, "directory/match.html", {"form": form, "ranked": ranked})
