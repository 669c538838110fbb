"""The data subject's rights on a case: export (download) and erasure. Thin views."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opennrm.accounts.roles import CASE_ROLES
from opennrm.core.errors import DomainError
from opennrm.dataprotection import selectors, services
from opennrm.web.views import page

#: the parts of an export, in the reader's language (keys of ``selectors.subject_data``)
PART_LABELS = {
    "person": gettext_lazy("Personal data"),
    "timeline": gettext_lazy("Case timeline"),
    "consents": gettext_lazy("Consents"),
    "shared_with": gettext_lazy("Shared with"),
    "access_requests": gettext_lazy("Access requests"),
    "referrals": gettext_lazy("Referrals"),
    "assignments": gettext_lazy("Who works on the case"),
    "notes": gettext_lazy("Notes and contacts"),
    "plan": gettext_lazy("Assistance plan"),
    "attachments": gettext_lazy("Files"),
    "screenings": gettext_lazy("Screenings"),
    "transnational": gettext_lazy("Transnational referrals"),
}


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type the case reference to confirm"), max_length=32
    )


def _page(request: HttpRequest, reference: str, form: EraseForm | None = None) -> HttpResponse:
    access = services.subject_rights_access(request.user, reference, "subject_access")  # type: ignore[arg-type]
    case = access.case
    parts = selectors.subject_parts(case)
    context = {
        "case": case,
        "parts": [(PART_LABELS[k], n) for k, n in parts.items()],
        "erasure": selectors.case_erasure(case),
        "may_erase": access.may("erase"),
        "form": form or EraseForm(),
    }
    return render(request, "dataprotection/subject.html", context, status=422 if form else 200)


@page(CASE_ROLES)
def subject_page(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, reference)


@page(CASE_ROLES)
def subject_export(request: HttpRequest, reference: str) -> HttpResponse:
    data = services.subject_export(actor=request.user, reference=reference)  # type: ignore[arg-type]
    body = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{data['case']['reference']}-personal-data.json"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@page(CASE_ROLES)
@require_POST
def subject_erase(request: HttpRequest, reference: str) -> HttpResponse:
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _page(request, reference, form)
    try:
        services.subject_erase(
            actor=request.user,  # type: ignore[arg-type]
            reference=reference,
            confirm=form.cleaned_data["confirm"],
        )
    except DomainError as error:
        if error.field != "confirm":
            raise
        form.add_error("confirm", error.message)
        return _page(request, reference, form)
    messages.success(request, _("The person's data was erased. The case stays, without it."))
    return redirect("web:case_detail", reference=reference)
