"""Referral pages: thin, they parse, call the services and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opennrm.accounts.roles import CASE_ROLES
from opennrm.cases import selectors as case_selectors
from opennrm.cases.policy import profile_for
from opennrm.cases.services import consent_record
from opennrm.core.errors import DomainError, Forbidden
from opennrm.directory.selectors import service_get, services_ranked
from opennrm.referrals import forms, selectors, services
from opennrm.referrals.models import ReferralStatus
from opennrm.web.views import page


@page(CASE_ROLES)
def referral_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "referrals/referral_list.html",
        {
            "incoming": selectors.referrals_incoming(user)[:100],  # type: ignore[arg-type]
            "sent": selectors.referrals_sent(user)[:100],  # type: ignore[arg-type]
        },
    )


@page(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, reference: str) -> HttpResponse:
    """Services ranked for the person's needs, each with why; refer with consent in one step."""
    user = request.user
    access = case_selectors.case_access_for(user, reference)  # type: ignore[arg-type]
    if not access.may("refer"):
        raise Forbidden(_("Your access to this case does not let you refer it to a service."))
    case = access.case
    needs_form = forms.NeedsForm(request.GET or None)
    needs = needs_form.cleaned_data["needs"] if needs_form.is_valid() else []
    refer_form = forms.ReferForm(request.POST or None)
    if request.method == "POST" and refer_form.is_valid():
        data = refer_form.cleaned_data
        try:
            service = service_get(data["service"])
            with transaction.atomic():
                if data["consent_given"]:
                    consent_record(
                        actor=user,  # type: ignore[arg-type]
                        case=case,
                        kind="referral",
                        service_ref=str(service.pk),
                        service_name=service.name,
                        fields=sorted(
                            profile_for(
                                services.PURPOSE_FOR_SERVICE.get(
                                    service.service_type, "social_support"
                                )
                            ).person_visible
                        ),
                        obtained_on=timezone.localdate(),
                        method=data["consent_method"] or "in_person",
                        interpreter_language=data["interpreter_language"],
                        guardian=data["guardian"],
                    )
                referral = services.referral_create(
                    actor=user,  # type: ignore[arg-type]
                    case=case,
                    service=service,
                    needs=needs,
                    note=data["note"],
                )
        except DomainError as error:
            refer_form.add_error(
                error.field if error.field in refer_form.fields else None, error.message
            )
        else:
            messages.success(request, _("Referral sent to %(s)s.") % {"s": referral.service_name})
            return redirect("referrals:detail", pk=referral.pk)
    profile = services.person_needs_profile(case)
    ranked = services_ranked(needs=needs, country=case.country, **profile)
    posted = str(refer_form.data.get("service", "")) if request.method == "POST" else ""
    return render(
        request,
        "referrals/referral_new.html",
        {
            "case": case,
            "needs_form": needs_form,
            "ranked": ranked[:30],
            "refer_form": refer_form,
            "blank_form": forms.ReferForm(),
            "posted_service": posted,
        },
        status=422 if request.method == "POST" else 200,
    )


def _detail_context(request: HttpRequest, pk: int, form: Any = None) -> dict[str, Any]:
    user = request.user
    referral = selectors.referral_get_for(user, pk)  # type: ignore[arg-type]
    return {
        "referral": referral,
        "history": selectors.referral_history(referral),
        "actions": services.referral_actions_for(user, referral),  # type: ignore[arg-type]
        "action_form": form,
        "is_receiver": referral.receiving_agency_id == user.agency_id,  # type: ignore[union-attr]
        "closed": referral.status not in services.OPEN_STATUSES,
        "status_label": ReferralStatus(referral.status).label,
    }


@page(CASE_ROLES)
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "referrals/referral_detail.html", _detail_context(request, pk))


@page(CASE_ROLES)
@require_POST
def referral_act(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_get_for(request.user, pk)  # type: ignore[arg-type]
    form = forms.ActionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_transition(
                actor=request.user,  # type: ignore[arg-type]
                referral=referral,
                action=data["action"],
                expected_version=data["version"],
                reason=data["reason"] or "",
            )
        except DomainError as error:
            form.add_error("reason" if error.field in ("reason", None) else None, error.message)
        else:
            messages.success(request, _("Referral updated."))
            return redirect("referrals:detail", pk=pk)
    context = _detail_context(request, pk, form=form)
    return render(request, "referrals/referral_detail.html", context, status=422)
