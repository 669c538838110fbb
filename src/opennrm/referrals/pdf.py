"""The printable referral: one PDF form for the receiving service, in its language.

It holds only what the referral shares: the case reference, the service, the status and
deadlines, the sender's work contact, the note, the consent (or legal basis) the referral
rests on and the person fields that the referral's sharing profile and the consent's scope
allow, no more than the printing user may see now. Every print is audited with the field
names printed (never their values).

WeasyPrint is imported when a form is rendered, so that a machine without Pango still
serves every other page; it needs the Debian packages ``libpango-1.0-0``,
``libpangoft2-1.0-0``, ``libharfbuzz-subset0`` and a font with Cyrillic letters
(``fonts-dejavu-core``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_language_info, pgettext
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.audit.services import audit_record
from opennrm.cases import policy
from opennrm.cases.models import (
    Case,
    Consent,
    ConsentMethod,
    GuardianRole,
    LegalBasis,
    Person,
)
from opennrm.cases.selectors import CaseAccess, case_access_for
from opennrm.core.errors import NotFound, ValidationFailed
from opennrm.referrals.models import Referral, ReferralStatus
from opennrm.referrals.selectors import referral_get_for

#: the languages a referral form is printed in
PDF_LANGUAGES = ("en", "uk", "ru")
#: case facts a form may carry, when the referral's profile shows them
CASE_FACTS = ("region", "is_child", "exploitation_type", "forced_criminality", "summary")
STYLESHEET = Path(__file__).with_name("referral_pdf.css")


@dataclass(frozen=True)
class Line:
    """One labelled value on the form (already a display string)."""

    label: str
    value: str


def consent_scope(consent: Consent | None, today: date) -> frozenset[str] | None:
    """The person fields a consent lets through; ``None`` when the referral rests on a
    legal basis (no consent narrows it), nothing when the consent no longer holds."""
    if consent is None:
        return None
    if not consent.given or consent.withdrawn_at is not None:
        return frozenset()
    if consent.expires_on is not None and consent.expires_on < today:
        return frozenset()
    return frozenset(consent.fields or ())


def shared_person_fields(referral: Referral, today: date) -> tuple[str, ...]:
    """The person fields the referral shares: its purpose's profile ∩ the consent's scope,
    in the policy's order (none for an anonymous report)."""
    if referral.case.anonymous_report:
        return ()
    visible = policy.profile_for(referral.purpose).person_visible
    scope = consent_scope(referral.consent, today)
    if scope is not None:
        visible = visible & scope
    return tuple(f for f in policy.PERSON_FIELDS if f in visible)


def printed_person_fields(
    referral: Referral, access: CaseAccess | None, today: date
) -> tuple[str, ...]:
    """What is printed: the shared fields the printing user may also see now (the
    receiving agency sees nothing once its access to the case has ended)."""
    if access is None:
        return ()
    return tuple(f for f in shared_person_fields(referral, today) if access.sees_person(f))


def printed_case_facts(referral: Referral, access: CaseAccess | None) -> tuple[str, ...]:
    if access is None:
        return ()
    profile = policy.profile_for(referral.purpose)
    return tuple(f for f in CASE_FACTS if f in profile.case_visible and access.sees(f))


def shows_case_deadlines(referral: Referral, access: CaseAccess | None) -> bool:
    return (
        access is not None
        and "deadlines" in policy.profile_for(referral.purpose).case_visible
        and access.sees("deadlines")
    )


def _access(actor: User, case: Case) -> CaseAccess | None:
    try:
        return case_access_for(actor, case.reference, audit_refusal=False)
    except NotFound:
        return None


def _field_label(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _date(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _moment(value: Any) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _person_value(person: Person, name: str) -> str:
    value = getattr(person, name)
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "—")


def _case_value(case: Case, name: str) -> str:
    if name == "is_child":
        return (
            pgettext("referral form", "Yes") if case.is_child else pgettext("referral form", "No")
        )
    if name == "forced_criminality":
        return (
            pgettext("referral form", "Yes: treat as a victim, not as an offender")
            if case.forced_criminality
            else pgettext("referral form", "No")
        )
    if name == "exploitation_type":
        return str(case.get_exploitation_type_display())
    return str(getattr(case, name) or "—")


def _service_type(code: str) -> str:
    from opennrm.directory.models import ServiceType

    return str(ServiceType(code).label) if code in ServiceType.values else (code or "—")


def _consent_lines(consent: Consent) -> list[Line]:
    lines: list[Line] = []
    if consent.service_name:
        lines.append(Line(pgettext("referral form", "Service"), consent.service_name))
    lines += [
        Line(pgettext("referral form", "Date obtained"), _date(consent.obtained_on)),
        Line(pgettext("referral form", "How obtained"), str(ConsentMethod(consent.method).label)),
        Line(
            pgettext("referral form", "Interpreter present"),
            _language_name(consent.interpreter_language)
            if consent.interpreter_language
            else pgettext("referral form", "No"),
        ),
    ]
    if consent.guardian:
        lines.append(
            Line(
                pgettext("referral form", "Guardian who agreed"),
                str(GuardianRole(consent.guardian).label),
            )
        )
    lines.append(Line(pgettext("referral form", "Valid until"), _date(consent.expires_on)))
    scope = [
        _field_label(Person, f) for f in policy.PERSON_FIELDS if f in set(consent.fields or ())
    ]
    lines.append(Line(pgettext("referral form", "Personal data in scope"), ", ".join(scope) or "—"))
    if consent.withdrawn_at is not None:
        lines.append(Line(pgettext("referral form", "Withdrawn"), _moment(consent.withdrawn_at)))
    return lines


def _sender_lines(referral: Referral) -> list[Line]:
    user = referral.created_by
    lines = [
        Line(pgettext("referral form", "Agency"), referral.sending_agency.name),
        Line(pgettext("referral form", "Referred by (user name)"), user.username),
    ]
    if user.get_full_name():
        lines.append(Line(pgettext("referral form", "Name"), user.get_full_name()))
    if user.email:
        lines.append(Line(pgettext("referral form", "Work e-mail"), user.email))
    lines.append(Line(pgettext("referral form", "Role"), str(user.get_role_display())))  # type: ignore[attr-defined]
    return lines


def referral_pdf_context(
    *, referral: Referral, access: CaseAccess | None, person: Person | None, today: date
) -> dict[str, Any]:
    """What the form shows, as labelled display strings (call inside the target
    language: labels are translated here)."""
    case = referral.case
    fields = printed_person_fields(referral, access, today)
    facts = printed_case_facts(referral, access)
    deadlines = [Line(pgettext("referral form", "Answer due"), _moment(referral.response_due))]
    if shows_case_deadlines(referral, access):
        deadlines += [
            Line(pgettext("referral form", "Reasonable-grounds decision due"), _date(case.rg_due)),
            Line(
                pgettext("referral form", "Recovery and reflection period starts"),
                _date(case.reflection_starts),
            ),
            Line(
                pgettext("referral form", "Recovery and reflection period ends"),
                _date(case.reflection_ends),
            ),
        ]
    if referral.legal_basis:
        basis_label = (
            str(LegalBasis(referral.legal_basis).label)
            if referral.legal_basis in LegalBasis.values
            else referral.legal_basis
        )
        basis = [Line(pgettext("referral form", "Legal basis"), basis_label)]
        if referral.legal_basis_note:
            basis.append(
                Line(pgettext("referral form", "Written legal basis"), referral.legal_basis_note)
            )
    else:
        basis = []
    return {
        "referral": referral,
        "reference": case.reference,
        "status": str(ReferralStatus(referral.status).label),
        "purpose": policy.profile_for(referral.purpose).label,
        "overview": [
            Line(pgettext("referral form", "Case reference"), case.reference),
            Line(pgettext("referral form", "Service"), referral.service_name),
            Line(
                pgettext("referral form", "Type of service"), _service_type(referral.service_type)
            ),
            Line(pgettext("referral form", "Receiving agency"), referral.receiving_agency.name),
            Line(pgettext("referral form", "Status"), str(ReferralStatus(referral.status).label)),
            Line(pgettext("referral form", "Sent on"), _moment(referral.sent_at)),
        ],
        "deadlines": deadlines,
        "needs": ", ".join(_service_type(code) for code in referral.needs or ()),
        "sender": _sender_lines(referral),
        "consent": _consent_lines(referral.consent) if referral.consent else [],
        "basis": basis,
        "facts": [Line(_field_label(Case, f), _case_value(case, f)) for f in facts],
        "person": (
            [Line(_field_label(Person, f), _person_value(person, f)) for f in fields]
            if person is not None
            else []
        ),
        "person_missing": person is None and bool(fields),
        "anonymous": case.anonymous_report,
        "nothing_shared": not fields and not case.anonymous_report,
        "printed_at": _moment(timezone.now()),
    }


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """The form embeds nothing from outside: no file, no network (hostile text is escaped
    anyway; this is the second lock)."""
    raise ValueError("external resources are not loaded in a referral form")


def render_pdf(html: str) -> bytes:
    import weasyprint

    stylesheet = weasyprint.CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch, base_url=".")
    return bytes(document.write_pdf(stylesheets=[stylesheet]))


def referral_pdf(*, actor: User, referral: Referral, language: str) -> bytes:
    """The referral form as PDF, in ``language`` (one of ``PDF_LANGUAGES``).

    ``actor`` must be on the sending or the receiving side of the referral (checked again
    here: a hidden referral raises the same ``NotFound`` as a missing one). The person
    fields printed are the referral's profile ∩ the consent's scope ∩ what ``actor`` may
    see of the case now; reading them writes an audit entry ``referral.print`` with the
    field names, in the same transaction.
    """
    if language not in PDF_LANGUAGES:
        raise ValidationFailed(
            _("Choose the language of the form: English, Ukrainian or Russian."), field="lang"
        )
    if not policy.role_reads_cases(actor.role):  # analysts, auditors: never a person's form
        raise NotFound(
            pgettext("referral form", "No such referral, or you do not have access to it.")
        )
    referral = referral_get_for(actor, referral.pk)
    case = referral.case
    access = _access(actor, case)
    today = timezone.localdate()
    fields = printed_person_fields(referral, access, today)
    with transaction.atomic():
        person = Person.objects.filter(case=case).first() if fields else None
        audit_record(
            actor=actor,
            action="referral.print",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose if access is not None else referral.purpose,
            detail={
                "referral_id": referral.pk,
                "fields": list(fields),
                "case_fields": list(printed_case_facts(referral, access)),
                "language": language,
            },
        )
    with translation.override(language):
        context = referral_pdf_context(referral=referral, access=access, person=person, today=today)
        html = render_to_string("referrals/referral_pdf.html", context)
    return render_pdf(html)
