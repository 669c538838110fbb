"""What is held about the person of a case, gathered from every app (right of access).

Plain model attribute access throughout, so values come out as the application sees
them (whatever the storage does underneath). Codes are given with their label in the
reader's language.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from opennrm.cases.models import AccessRequest, Case, CaseEvent, CaseGrant, Consent, Person
from opennrm.cases.policy import PERSON_FIELDS

FORMAT = 1


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _label(obj: Model, name: str) -> dict[str, str] | str:
    value = getattr(obj, name)
    if not value:
        return ""
    display = getattr(obj, f"get_{name}_display", None)
    return {"code": value, "label": str(display())} if display else value


def _agency(agency: Any) -> str:
    return agency.name if agency is not None else ""


def subject_data(case: Case) -> dict[str, Any]:
    """Every record about the person of ``case`` (no access check: see services)."""
    from opennrm.casework.models import Assignment, Attachment, Note, PlanItem
    from opennrm.referrals.models import Referral

    person = Person.objects.filter(case=case).first()
    data: dict[str, Any] = {
        "format": FORMAT,
        "case": {
            "reference": case.reference,
            "owning_agency": _agency(case.owning_agency),
            "state": _label(case, "state"),
            "exploitation_type": _label(case, "exploitation_type"),
            "country": case.country,
            "region": case.region,
            "is_child": case.is_child,
            "forced_criminality": case.forced_criminality,
            "forced_criminality_note": case.forced_criminality_note,
            "summary": case.summary,
            "screening_outcome": _label(case, "screening_outcome"),
            "rg_due": _iso(case.rg_due),
            "reflection_starts": _iso(case.reflection_starts),
            "reflection_ends": _iso(case.reflection_ends),
            "anonymous_report": case.anonymous_report,
            "created_at": _iso(case.created_at),
        },
        "person": (
            {name: _iso(getattr(person, name)) for name in PERSON_FIELDS}
            if person is not None
            else {}
        ),
        "timeline": [
            {
                "at": _iso(e.at),
                "event": e.kind_label,
                "from_state": e.from_label,
                "to_state": e.to_label,
                "reason": e.reason,
            }
            for e in CaseEvent.objects.filter(case=case).order_by("at", "id")
        ],
        "consents": [
            {
                "kind": _label(c, "kind"),
                "given": c.given,
                "purpose": _label(c, "purpose"),
                "recipient_agency": _agency(c.recipient_agency),
                "service": c.service_name,
                "partner": c.partner,
                "fields": list(c.fields or []),
                "obtained_on": _iso(c.obtained_on),
                "method": _label(c, "method"),
                "interpreter_language": c.interpreter_language,
                "guardian": _label(c, "guardian"),
                "expires_on": _iso(c.expires_on),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in Consent.objects.filter(case=case).select_related("recipient_agency")
        ],
        "shared_with": [
            {
                "agency": _agency(g.agency),
                "user": g.user.username if g.user is not None else "",
                "purpose": _label(g, "purpose"),
                "granted_at": _iso(g.granted_at),
                "expires_at": _iso(g.expires_at),
                "ended_at": _iso(g.revoked_at),
            }
            for g in CaseGrant.objects.filter(case=case)
            .select_related("agency", "user")
            .order_by("granted_at", "id")
        ],
        "access_requests": [
            {
                "agency": _agency(r.agency),
                "purpose": _label(r, "purpose"),
                "status": r.status,
                "requested_at": _iso(r.requested_at),
            }
            for r in AccessRequest.objects.filter(case=case).select_related("agency")
        ],
        "referrals": [
            {
                "service": r.service_name,
                "service_type": r.service_type,
                "receiving_agency": _agency(r.receiving_agency),
                "purpose": _label(r, "purpose"),
                "status": _label(r, "status"),
                "needs": list(r.needs or []),
                "note": r.note,
                "decline_reason": r.decline_reason,
                "created_at": _iso(r.created_at),
                "sent_at": _iso(r.sent_at),
                "closed_at": _iso(r.closed_at),
            }
            for r in Referral.objects.filter(case=case)
            .select_related("receiving_agency")
            .order_by("created_at", "id")
        ],
        "assignments": [
            {"agency": _agency(a.agency), "user": a.user.username, "at": _iso(a.assigned_at)}
            for a in Assignment.objects.filter(case=case).select_related("agency", "user")
        ],
        "notes": [
            {
                "kind": _label(n, "kind"),
                "text": n.text,
                "contact_on": _iso(n.contact_on),
                "channel": _label(n, "channel"),
                "contact_with": n.contact_with,
                "agency": _agency(n.author_agency),
                "created_at": _iso(n.created_at),
            }
            for n in Note.objects.filter(case=case)
            .select_related("author_agency")
            .order_by("created_at", "id")
        ],
        "plan": [
            {
                "kind": _label(p, "kind"),
                "service_type": p.service_type,
                "text": p.text,
                "target_on": _iso(p.target_on),
                "started_on": _iso(p.started_on),
                "ended_on": _iso(p.ended_on),
                "done": p.done,
            }
            for p in PlanItem.objects.filter(case=case).order_by("created_at", "id")
        ],
        "attachments": [
            {
                "kind": _label(a, "kind"),
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_at": _iso(a.created_at),
            }
            for a in Attachment.objects.filter(case=case).order_by("created_at", "id")
        ],
        "screenings": [
            {
                "set": s.set_id,
                "age": s.age,
                "interviewee_language": s.interviewee_language,
                "outcome": s.outcome,
                "answers": s.answers,
                "created_at": _iso(s.created_at),
            }
            for s in case.screenings.all().order_by("created_at")
        ],
        "transnational": [
            {
                "partner": p.partner_name,
                "purpose": p.purpose,
                "fields_sent": list(p.fields_sent or []),
                "sent_at": _iso(p.sent_at),
                "status": p.status,
            }
            for p in case.outgoing_packages.all()
        ],
    }
    erasure = case_erasure(case)
    data["erasure"] = (
        {"kind": _label(erasure, "kind"), "at": _iso(erasure.at)} if erasure is not None else {}
    )
    return data


def case_erasure(case: Case) -> Any:
    """The erasure record of a case, or None."""
    from opennrm.dataprotection.models import Erasure

    return Erasure.objects.filter(case=case).first()


def subject_parts(case: Case) -> dict[str, int]:
    """How many records each part of an export holds (for the page; no personal data)."""
    from opennrm.casework.models import Assignment, Attachment, Note, PlanItem
    from opennrm.referrals.models import Referral

    return {
        "person": int(Person.objects.filter(case=case).exists()),
        "timeline": CaseEvent.objects.filter(case=case).count(),
        "consents": Consent.objects.filter(case=case).count(),
        "shared_with": CaseGrant.objects.filter(case=case).count(),
        "access_requests": AccessRequest.objects.filter(case=case).count(),
        "referrals": Referral.objects.filter(case=case).count(),
        "assignments": Assignment.objects.filter(case=case).count(),
        "notes": Note.objects.filter(case=case).count(),
        "plan": PlanItem.objects.filter(case=case).count(),
        "attachments": Attachment.objects.filter(case=case).count(),
        "screenings": case.screenings.count(),
        "transnational": case.outgoing_packages.count(),
    }
