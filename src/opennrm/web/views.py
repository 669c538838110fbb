"""Server-rendered pages. Thin: parse the request, call a selector or service, render."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.roles import (
    AUDIT_ROLES,
    CASE_ROLES,
    CREATE_CASE_ROLES,
    EDIT_CASE_ROLES,
    STATISTICS_ROLES,
)
from opennrm.accounts.selectors import user_has_confirmed_device
from opennrm.audit.selectors import audit_entries_for, audit_verify
from opennrm.audit.services import audit_record
from opennrm.cases import policy as case_policy
from opennrm.cases import selectors as case_selectors
from opennrm.cases import services as case_services
from opennrm.cases.workflow import State
from opennrm.core.errors import DomainError, Forbidden
from opennrm.screenings import selectors as screening_selectors
from opennrm.screenings import services as screening_services
from opennrm.screenings.plain import explain
from opennrm.web import forms


def _screening_words(screening: Any) -> tuple[str, str]:
    """A screening's outcome and situation (indicator set) as words, not codes."""
    from opennrm.cases.workflow import ScreeningOutcome
    from opennrm.screening import load_catalogue

    if screening.outcome in ScreeningOutcome.values:
        outcome = str(ScreeningOutcome(screening.outcome).label)
    else:
        outcome = _("Incomplete: keep asking")
    try:
        catalogue = load_catalogue(screening.catalogue_version)
        situation = catalogue.indicator_set(screening.set_id).label.get(ui_language()) or ""
    except (KeyError, LookupError, ValueError):
        situation = ""
    return outcome, situation


def ui_language() -> str:
    """The active interface language as one of the catalogue's codes (en, uk, ru)."""
    code = (get_language() or "en")[:2]
    return code if code in {c for c, _name in settings.LANGUAGES} else "en"


def _error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": error}, status=error.status_code)


def page(roles: frozenset[Any] | None = None) -> Callable[..., Any]:
    """Signed-in (and second-factor verified, by middleware) users with one of ``roles``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if roles is not None and request.user.role not in roles:  # type: ignore[union-attr]
                    raise Forbidden(_("Your role does not give access to this page."))
                return view(request, *args, **kwargs)
            except DomainError as error:
                return _error_page(request, error)

        return wrapper

    return decorate


# --- sign-in ---------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = getattr(form.get_user(), "preferred_language", "")
        if language in {code for code, _name in settings.LANGUAGES}:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
            )
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered for the signed-in user's next sign-in."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        from opennrm.accounts.services import user_set_language

        user_set_language(actor=request.user, language=language)  # type: ignore[arg-type]
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("web:login")


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user_has_confirmed_device(user):  # type: ignore[arg-type]
        return redirect("web:otp_setup")
    form = forms.OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None and device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = ""
            return redirect(target or "web:dashboard")
        form.add_error(
            "token", _("That code is not right. Check your phone's clock and try the newest code.")
        )
    return render(request, "web/otp_verify.html", {"form": form})


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user_has_confirmed_device(user):  # type: ignore[arg-type]
        return redirect("web:otp_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = forms.OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_record(
                    actor=user, action="otp.enrol", object_type="user", object_ref=str(user.pk)
                )  # type: ignore[arg-type]
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect("web:dashboard")
        form.add_error(
            "token", _("That code is not right. Scan the code again and enter the newest code.")
        )
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "web/otp_setup.html",
        {"form": form, "qr": _qr_data_uri(device.config_url), "secret": secret},
    )


# --- dashboard and cases ------------------------------------------------------


@page()
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {}
    if user.role in CASE_ROLES:  # type: ignore[union-attr]
        from opennrm.referrals.models import AWAITING_ANSWER
        from opennrm.referrals.selectors import referrals_incoming

        context["incoming_referrals"] = list(
            referrals_incoming(user, open_only=True).filter(status__in=AWAITING_ANSWER)[:20]  # type: ignore[arg-type]
        )
        context["awaiting"] = sorted(AWAITING_ANSWER)
        context["deadlines"] = case_selectors.case_deadlines(user)  # type: ignore[arg-type]
        from opennrm.casework.selectors import cases_assigned_to, decorate_deadlines

        decorate_deadlines(  # assignee and days overdue on the deadline lists
            user,  # type: ignore[arg-type]
            context["deadlines"].overdue + context["deadlines"].upcoming,
            case_selectors.local_today(),
        )
        context["assigned"] = list(cases_assigned_to(user).order_by("deadline", "-id")[:10])  # type: ignore[arg-type]
        context["recent"] = case_selectors.cases_hide_unseen(
            user,  # type: ignore[arg-type]
            list(case_selectors.case_search(user)[:10]),  # type: ignore[arg-type]
        )
    if user.role in STATISTICS_ROLES:  # type: ignore[union-attr]
        counts = case_selectors.case_counts_for_statistics(user)  # type: ignore[arg-type]
        context["counts"] = [(State(s).label, _suppress(counts.get(s, 0))) for s in State]
    context["can_create"] = user.role in CREATE_CASE_ROLES  # type: ignore[union-attr]
    context["is_auditor"] = user.role in AUDIT_ROLES  # type: ignore[union-attr]
    return render(request, "web/dashboard.html", context)


def _suppress(n: int) -> str:
    """Small-cell suppression for aggregate counts: 1–4 are shown as “<5”."""
    return "<5" if 0 < n < 5 else str(n)


def _case_filters(form: forms.CaseFilterForm) -> dict[str, Any]:
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    return {
        "reference": data["q"] or None,
        "state": data["state"] or None,
        "region": data["region"] or None,
        "overdue": True if data["overdue"] else None,
        "is_child": True if data["child"] else None,
    }


@page(CASE_ROLES)
def case_list(request: HttpRequest) -> HttpResponse:
    form = forms.CaseFilterForm(request.GET or None)
    cases = case_selectors.case_search(request.user, **_case_filters(form))  # type: ignore[arg-type]
    if form.is_valid() and form.cleaned_data.get("mine"):
        cases = cases.filter(assignments__user_id=request.user.pk)
    page_obj = Paginator(cases, 25).get_page(request.GET.get("page"))
    page_obj.object_list = case_selectors.cases_hide_unseen(
        request.user, list(page_obj.object_list)
    )  # type: ignore[arg-type]
    partial = bool(request.headers.get("HX-Request"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/_case_rows.html" if partial else "web/case_list.html",
        {
            "form": form,
            "page": page_obj,
            "query": query.urlencode(),
            "today": case_selectors.local_today(),
            "partial": partial,
        },
    )


@page(CASE_ROLES)
def case_export(request: HttpRequest) -> HttpResponse:
    """The filtered case list as CSV (case facts only), audited."""
    import csv

    from django.http import StreamingHttpResponse

    form = forms.CaseFilterForm(request.GET or None)
    filters = _case_filters(form)
    cases = case_selectors.case_search(request.user, **filters)  # type: ignore[arg-type]
    if form.is_valid() and form.cleaned_data.get("mine"):
        cases = cases.filter(assignments__user_id=request.user.pk)
        filters["mine"] = True
    audit_record(
        actor=request.user,
        action="case.export",
        object_type="case",
        object_ref="-",  # type: ignore[arg-type]
        detail={k: str(v) for k, v in filters.items() if v is not None},
    )

    class _Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(r) for r in case_selectors.case_csv_rows(request.user, cases)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="opennrm-cases.csv"'
    return response


@page(CREATE_CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    form = forms.CaseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.case_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
            return redirect("web:case_detail", reference=case.reference)
    return render(request, "web/case_form.html", {"form": form, "title": _("Open a case")})


def _case_context(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = request.user
    access = case_selectors.case_access_for(user, reference)  # type: ignore[arg-type]
    case = access.case
    may_share = access.may("share")
    context: dict[str, Any] = {
        "case": case,
        "access": access,
        "sees": {f: access.sees(f) for f in case_policy.CASE_FIELDS},
        "casework_parts": [f for f in case_policy.CASEWORK_FIELDS if access.sees(f)],
        "timeline": case_selectors.case_timeline(case) if access.sees("timeline") else [],
        "transitions": access.steps,
        "transition_form": forms.TransitionForm(initial={"version": case.version}),
        "grants": case_selectors.case_active_grants(case) if may_share or access.owner else [],
        "is_owner": access.owner,
        "grant_form": forms.GrantForm() if may_share else None,
        "can_edit": bool(access.case_editable_fields),
        "has_person": case_selectors.case_has_person(case),
        "sees_person": bool(access.person_fields),
        "may_consent": access.may("consent"),
        "may_refer": access.may("refer"),
        "may_handover": access.may("handover") and access.owner,
        "screenings": [
            (
                s,
                screening_services.explanation_lines(s, ui_language()),
                explain(s.result, ui_language()),
                *_screening_words(s),
            )
            for s in screening_selectors.screenings_of_case(case)
        ]
        if access.sees("screenings")
        else [],
    }
    if access.may("consent"):
        context["consents"] = case_selectors.case_consents(case)
        context["consent_form"] = forms.ConsentForm()
    if access.may("refer"):
        from opennrm.referrals.selectors import referrals_of_case

        context["referrals"] = referrals_of_case(case)
    if may_share:
        context["access_requests"] = case_selectors.access_requests_for_owner(access)
    if context["may_handover"]:
        context["handovers"] = case_selectors.handovers_pending(case)
        context["handover_form"] = forms.HandoverForm()
    return context


@page(CASE_ROLES)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    context = _case_context(request, reference)
    case_services.case_view_audit(actor=request.user, case=context["case"])  # type: ignore[arg-type]
    return render(request, "web/case_detail.html", context)


@page(CASE_ROLES)
@require_POST
def case_transition(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    form = forms.TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("web:case_detail", reference=reference)
    data = form.cleaned_data
    try:
        case_services.case_transition(
            actor=request.user,  # type: ignore[arg-type]
            case=case,
            name=data["transition"],
            expected_version=data["version"],
            reason=data["reason"] or "",
            screening_outcome=data["screening_outcome"] or "",
            referral_agency=data["referral_agency"],
            legal_basis=data.get("legal_basis") or "",
            legal_basis_note=data.get("legal_basis_note") or "",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Case is now: %(state)s") % {"state": State(case.state).label})
    return redirect("web:case_detail", reference=reference)


@page(EDIT_CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, reference: str) -> HttpResponse:
    access = case_selectors.case_access_for(request.user, reference)  # type: ignore[arg-type]
    case = access.case
    editable = access.case_editable_fields
    if not editable:
        case_selectors.access_refused_audit(
            request.user,  # type: ignore[arg-type]
            reference=case.reference,
            what="edit",
            purpose=access.purpose,
        )
        raise Forbidden(_("Your access to this case does not let you change these facts."))
    initial = {f: getattr(case, f) for f in editable} | {"version": case.version}
    form = forms.CaseEditForm(request.POST or None, initial=initial)
    for name in list(form.fields):
        if name != "version" and name not in editable:
            del form.fields[name]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            case_services.case_update(
                actor=request.user, case=case, expected_version=version, changes=data
            )  # type: ignore[arg-type]
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Case saved."))
            return redirect("web:case_detail", reference=reference)
    return render(
        request, "web/case_form.html", {"form": form, "case": case, "title": _("Edit case")}
    )


def _choice_label(field: str, value: Any) -> Any:
    """A coded value (gender, age band) as its label in the reader's language, not the code."""
    choices = dict(getattr(forms.PersonForm.base_fields[field], "choices", ()) or ())
    return choices.get(value, value) if value else value


@page(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The person's data as the user's access shows it: only the visible fields, and a
    form only for the editable ones."""
    user = request.user
    access = case_selectors.case_access_for(user, reference)  # type: ignore[arg-type]
    case = access.case
    if request.method == "POST":
        stored = case_selectors.person_of(case)  # the save below writes its own audit entry
        person = (
            case_services.PersonView(
                version=stored.version,
                fields={f: getattr(stored, f) for f in access.person_fields},
                hidden=(),
            )
            if stored
            else None
        )
    else:
        person = case_services.person_read(actor=user, case=case)  # type: ignore[arg-type]
    editable = access.person_editable_fields
    initial: dict[str, Any] = {"version": person.version if person else None}
    if person is not None:
        initial |= person.fields
    form = forms.PersonForm(request.POST or None, initial=initial)
    for name in list(form.fields):
        if name != "version" and name not in editable:
            del form.fields[name]
    shown = [
        (forms.PersonForm.base_fields[f].label, _choice_label(f, initial.get(f)))
        for f in access.person_fields
        if f not in editable
    ]
    if request.method == "POST":
        if not editable:
            case_selectors.access_refused_audit(
                user,  # type: ignore[arg-type]
                reference=case.reference,
                what="person:edit",
                purpose=access.purpose,
            )
            raise Forbidden(
                _("Your access to this case does not let you change this personal data.")
            )
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                case_services.person_save(
                    actor=user, case=case, data=data, expected_version=version
                )  # type: ignore[arg-type]
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Personal data saved."))
                return redirect("web:case_detail", reference=reference)
    return render(
        request,
        "web/person.html",
        {
            "case": case,
            "person": person,
            "form": form,
            "can_edit": bool(editable),
            "shown": shown,
            "access": access,
        },
    )


def _form_errors(form: Any) -> str:
    """A form's problems as one sentence per field, with the field's label (not its code)."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


@page(CASE_ROLES)
@require_POST
def grant_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    form = forms.GrantForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_services.grant_create(
                actor=request.user,  # type: ignore[arg-type]
                case=case,
                agency=data["agency"],
                purpose=data["purpose"],
                note=data["note"],
                expires_at=timezone.now() + timedelta(days=data["days"]),
                legal_basis=data["legal_basis"],
                legal_basis_note=data["legal_basis_note"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Access granted."))
    else:
        messages.error(request, _form_errors(form))
    return redirect("web:case_detail", reference=reference)


@page(CASE_ROLES)
@require_POST
def grant_revoke(request: HttpRequest, reference: str, grant_id: int) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    grant = case_selectors.case_active_grants(case).filter(pk=grant_id).first()
    if grant is not None:
        case_services.grant_revoke(actor=request.user, grant=grant)  # type: ignore[arg-type]
        messages.success(request, _("Access revoked."))
    return redirect("web:case_detail", reference=reference)


@page(CASE_ROLES)
@require_POST
def consent_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    form = forms.ConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_services.consent_record(
                actor=request.user,  # type: ignore[arg-type]
                case=case,
                kind="sharing",
                given=data["given"],
                purpose=data["purpose"],
                recipient_agency=data["recipient_agency"],
                fields=data["fields"],
                obtained_on=timezone.localdate(),
                method=data["method"],
                interpreter_language=data["interpreter_language"],
                guardian=data["guardian"],
                expires_on=data["expires_on"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, _form_errors(form))
    return redirect("web:case_detail", reference=reference)


@page(CASE_ROLES)
@require_POST
def consent_withdraw(request: HttpRequest, reference: str, consent_id: int) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    consent = case_selectors.case_consents(case).filter(pk=consent_id).first()
    if consent is not None:
        case_services.consent_withdraw(actor=request.user, consent=consent)  # type: ignore[arg-type]
        messages.success(request, _("Consent withdrawn: the access resting on it has ended."))
    return redirect("web:case_detail", reference=reference)


@page(CASE_ROLES)
@require_POST
def case_anonymous(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    case_services.case_make_anonymous(actor=request.user, case=case)  # type: ignore[arg-type]
    messages.success(request, _("The case is kept as an anonymous report."))
    return redirect("web:case_detail", reference=reference)


@page(CASE_ROLES)
@require_POST
def handover_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    form = forms.HandoverForm(request.POST)
    if form.is_valid():
        try:
            case_services.handover_request(
                actor=request.user,  # type: ignore[arg-type]
                case=case,
                to_agency=form.cleaned_data["to_agency"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Hand-over requested."))
    else:
        messages.error(request, _form_errors(form))
    return redirect("web:case_detail", reference=reference)


@page(CASE_ROLES)
@require_POST
def access_request_decide(request: HttpRequest, reference: str, request_id: int) -> HttpResponse:
    access = case_selectors.case_access_for(request.user, reference)  # type: ignore[arg-type]
    pending = case_selectors.access_requests_for_owner(access).filter(pk=request_id).first()
    form = forms.AnswerForm(request.POST)
    if pending is not None and form.is_valid():
        try:
            case_services.access_request_decide(
                actor=request.user,  # type: ignore[arg-type]
                request=pending,
                approve=form.cleaned_data["accept"],
                answer=form.cleaned_data["answer"],
                days=form.cleaned_data["days"] or 30,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Answer recorded."))
    return redirect("web:case_detail", reference=reference)


@page(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def requests_page(request: HttpRequest) -> HttpResponse:
    """Ask another agency for a case; answer hand-overs offered to your agency."""
    user = request.user
    form = forms.AccessRequestForm(request.POST or None)
    if request.method == "POST" and "reference" in request.POST and form.is_valid():
        try:
            case_services.access_request_create(actor=user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, _("If a case with this reference exists, its owner has been asked.")
            )
            return redirect("web:requests")
    return render(
        request,
        "web/requests.html",
        {"form": form, "handovers": case_selectors.handovers_to(user)},  # type: ignore[arg-type]
    )


@page(CASE_ROLES)
@require_POST
def handover_decide(request: HttpRequest, handover_id: int) -> HttpResponse:
    handover = case_selectors.handover_get_for(request.user, handover_id)  # type: ignore[arg-type]
    form = forms.AnswerForm(request.POST)
    if form.is_valid():
        try:
            case_services.handover_decide(
                actor=request.user,  # type: ignore[arg-type]
                handover=handover,
                accept=form.cleaned_data["accept"],
                answer=form.cleaned_data["answer"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Answer recorded."))
    return redirect("web:requests")


# --- audit -------------------------------------------------------------------------


def _audit_filters(form: forms.AuditFilterForm) -> dict[str, Any]:
    """The form's filters; the date range is whole local days, "to" included."""
    from datetime import datetime, time

    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    zone = timezone.get_current_timezone()
    if "date_from" in filters:
        filters["since"] = datetime.combine(filters.pop("date_from"), time.min, zone)
    if "date_to" in filters:
        day_after = filters.pop("date_to") + timedelta(days=1)
        filters["until"] = datetime.combine(day_after, time.min, zone)
    return filters


def _audit_rows(entries: list[Any]) -> list[dict[str, Any]]:
    """Entries with names and words: the user's and agency's names, translated labels."""
    from opennrm.accounts.roles import Role
    from opennrm.audit.selectors import audit_names
    from opennrm.casework.audit_labels import action_label, detail_words, object_label

    users, agencies = audit_names(entries)
    rows = []
    for e in entries:
        purposes = [p for p in e.purpose.split("+") if p]
        rows.append(
            {
                "entry": e,
                "user": users.get(e.user_id, e.username) if e.user_id else e.username,
                "agency": agencies.get(e.agency_id, ""),
                "role": Role(e.role).label if e.role in Role.values else e.role,
                "action": action_label(e.action),
                "object": object_label(e.object_type),
                "detail": detail_words(e.detail),
                "purpose": ", ".join(
                    str(case_policy.AccessPurpose(p).label)
                    if p in case_policy.AccessPurpose.values
                    else p
                    for p in purposes
                ),
            }
        )
    return rows


@page(AUDIT_ROLES)
@require_http_methods(["GET", "POST"])
def audit_log(request: HttpRequest) -> HttpResponse:
    form = forms.AuditFilterForm(request.GET or None)
    filters = _audit_filters(form)
    entries = audit_entries_for(request.user, **filters)  # type: ignore[arg-type]
    page_obj = Paginator(entries, 50).get_page(request.GET.get("page"))
    page_obj.object_list = _audit_rows(list(page_obj.object_list))  # type: ignore[assignment]
    verify = audit_verify() if request.method == "POST" else None
    audit_record(
        actor=request.user,
        action="audit.view",
        object_type="audit",
        object_ref="-",  # type: ignore[arg-type]
        detail={k: str(v) for k, v in filters.items()},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/audit.html",
        {"form": form, "page": page_obj, "verify": verify, "query": query.urlencode()},
    )


@page(AUDIT_ROLES)
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered audit log as CSV for an inspector (names and words, formula-safe),
    itself audited as an export."""
    import csv

    from django.http import StreamingHttpResponse

    from opennrm.audit.selectors import csv_safe

    form = forms.AuditFilterForm(request.GET or None)
    filters = _audit_filters(form)
    entries = audit_entries_for(request.user, **filters)  # type: ignore[arg-type]
    audit_record(
        actor=request.user,
        action="audit.export",
        object_type="audit",
        object_ref="-",  # type: ignore[arg-type]
        detail={k: str(v) for k, v in filters.items()},
    )
    header = [
        "seq",
        _("Time"),
        _("User"),
        "username",
        _("Role"),
        _("Agency"),
        _("Action"),
        "action",
        _("Object"),
        "object_ref",
        _("Purpose"),
        _("Detail"),
        "entry_hash",
    ]

    def lines() -> Any:
        yield header
        batch: list[Any] = []
        for entry in entries.iterator(chunk_size=1000):
            batch.append(entry)
            if len(batch) == 1000:
                yield from _audit_csv_batch(batch)
                batch = []
        yield from _audit_csv_batch(batch)

    class _Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([csv_safe(c) for c in row]) for row in lines()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="opennrm-audit.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _audit_csv_batch(entries: list[Any]) -> Any:
    for row in _audit_rows(entries):
        e = row["entry"]
        yield [
            e.seq,
            timezone.localtime(e.at).isoformat(timespec="seconds"),
            row["user"],
            e.username,
            row["role"],
            row["agency"],
            row["action"],
            e.action,
            row["object"],
            e.object_ref,
            row["purpose"],
            "; ".join(f"{k}={v}" for k, v in (e.detail or {}).items()),
            e.entry_hash,
        ]
