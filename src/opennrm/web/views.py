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
    GRANT_ROLES,
    STATISTICS_ROLES,
)
from opennrm.accounts.selectors import user_has_confirmed_device
from opennrm.audit.selectors import audit_entries_for, audit_verify
from opennrm.audit.services import audit_record
from opennrm.cases import selectors as case_selectors
from opennrm.cases import services as case_services
from opennrm.cases.policy import CASE_FIELDS
from opennrm.cases.workflow import State
from opennrm.core.errors import DomainError, Forbidden
from opennrm.screenings import selectors as screening_selectors
from opennrm.screenings import services as screening_services
from opennrm.web import forms


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
        deadlines = case_selectors.case_deadlines(user)  # type: ignore[arg-type]
        recent = list(case_selectors.case_search(user)[:10])  # type: ignore[arg-type]
        listed = [*deadlines.overdue, *deadlines.upcoming, *recent]
        visible = case_selectors.case_facts_visible(user, [c.reference for c in listed])  # type: ignore[arg-type]
        for c in listed:  # each line shows only the facts the access to that case shows
            c.facts_visible = visible.get(c.reference, frozenset())
        context["deadlines"] = case_selectors.Deadlines(
            overdue=[c for c in deadlines.overdue if "deadlines" in c.facts_visible],
            upcoming=[c for c in deadlines.upcoming if "deadlines" in c.facts_visible],
        )
        context["recent"] = recent
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
    page_obj = Paginator(cases, 25).get_page(request.GET.get("page"))
    visible = case_selectors.case_facts_visible(
        request.user,  # type: ignore[arg-type]
        [c.reference for c in page_obj.object_list],
    )
    for c in page_obj.object_list:  # the row shows only the facts the access to it shows
        c.facts_visible = visible.get(c.reference, frozenset())
    template = "web/_case_rows.html" if request.headers.get("HX-Request") else "web/case_list.html"
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "form": form,
            "page": page_obj,
            "query": query.urlencode(),
            "today": case_selectors.local_today(),
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
        (writer.writerow(r) for r in case_selectors.case_csv_rows(cases, actor=request.user)),
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
    """The case page as the user's access shows it: the policy table decides each fact,
    each step button and the sharing section (``case_access_for``)."""
    user = request.user
    access = case_selectors.case_access_for(user, reference)  # type: ignore[arg-type]
    case = access.case
    may_share = access.may("share")
    return {
        "case": case,
        "access": access,
        "sees": {field: access.sees(field) for field in CASE_FIELDS},
        "timeline": case_selectors.case_timeline(case) if access.sees("timeline") else [],
        "transitions": access.steps,
        "transition_form": forms.TransitionForm(initial={"version": case.version}),
        "grants": case_selectors.case_active_grants(case) if access.owner or may_share else [],
        "is_owner": access.owner,
        "grant_form": forms.GrantForm() if may_share else None,
        "can_edit": bool(access.case_editable_fields),
        "has_person": case_selectors.case_has_person(case),
        "person_link": bool(access.person_fields or access.person_editable_fields),
        "screenings": [
            (s, screening_services.explanation_lines(s, ui_language()))
            for s in screening_selectors.screenings_of_case(case)
        ]
        if access.sees("screenings")
        else [],
    }


@page(CASE_ROLES)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    context = _case_context(request, reference)
    case_services.case_view_audit(
        actor=request.user,  # type: ignore[arg-type]
        case=context["case"],
        purpose=context["access"].purpose,
    )
    return render(request, "web/case_detail.html", context)


@page(CASE_ROLES)
@require_POST
def case_transition(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    form = forms.TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete: %(e)s") % {"e": form.errors.as_text()})
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
    for name in list(form.fields):  # the form offers only what this access may change
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


@page(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The person's data as the user's access shows it: only the visible fields, and a
    form with only the fields this access may change."""
    user = request.user
    access = case_selectors.case_access_for(user, reference)  # type: ignore[arg-type]
    case = access.case
    editable = access.person_editable_fields
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
        record = case_selectors.person_of(case)  # the save below writes its own audit entry
        version = record.version if record else None
        values = {f: getattr(record, f) for f in access.person_fields} if record else {}
    else:
        person = case_services.person_read(actor=user, case=case)  # type: ignore[arg-type]
        version = person.version if person else None
        values = dict(person.fields) if person else {}
    form = forms.PersonForm(request.POST or None, initial={"version": version} | values)
    for name in list(form.fields):  # the form offers only what this access may change
        if name != "version" and name not in editable:
            del form.fields[name]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("version")
        try:
            case_services.person_save(actor=user, case=case, data=data, expected_version=expected)  # type: ignore[arg-type]
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Personal data saved."))
            return redirect("web:case_detail", reference=reference)
    shown = [
        (forms.PersonForm.base_fields[f].label, forms.person_value_label(f, values.get(f)))
        for f in access.person_fields
        if f not in editable
    ]
    return render(
        request,
        "web/person.html",
        {
            "case": case,
            "has_record": version is not None,
            "form": form,
            "can_edit": bool(editable),
            "shown": shown,
        },
    )


@page(GRANT_ROLES)
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
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Access granted."))
    else:
        messages.error(request, _("The form was incomplete: %(e)s") % {"e": form.errors.as_text()})
    return redirect("web:case_detail", reference=reference)


@page(GRANT_ROLES)
@require_POST
def grant_revoke(request: HttpRequest, reference: str, grant_id: int) -> HttpResponse:
    case = case_selectors.case_get_for(request.user, reference)  # type: ignore[arg-type]
    grant = case_selectors.case_active_grants(case).filter(pk=grant_id).first()
    if grant is not None:
        case_services.grant_revoke(actor=request.user, grant=grant)  # type: ignore[arg-type]
        messages.success(request, _("Access revoked."))
    return redirect("web:case_detail", reference=reference)


# --- audit -------------------------------------------------------------------------


@page(AUDIT_ROLES)
@require_http_methods(["GET", "POST"])
def audit_log(request: HttpRequest) -> HttpResponse:
    form = forms.AuditFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    entries = audit_entries_for(request.user, **filters)  # type: ignore[arg-type]
    page_obj = Paginator(entries, 50).get_page(request.GET.get("page"))
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


# --- API tokens ----------------------------------------------------------------


@page()
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Personal API tokens: the secret is shown once, only its digest is stored."""
    from opennrm.accounts.selectors import api_tokens_of
    from opennrm.accounts.services import api_token_create, api_token_revoke

    user = request.user
    form = forms.ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and request.POST.get("revoke", "").isdigit():
        token = api_tokens_of(user).filter(pk=int(request.POST["revoke"])).first()  # type: ignore[arg-type]
        if token is not None:
            api_token_revoke(actor=user, token=token)  # type: ignore[arg-type]
            messages.success(request, _("Token revoked."))
        return redirect("web:api_tokens")
    if request.method == "POST" and form.is_valid():
        try:
            _token, created = api_token_create(actor=user, user=user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "web/api_tokens.html",
        {"form": form, "tokens": api_tokens_of(user), "created": created},
    )  # type: ignore[arg-type]
