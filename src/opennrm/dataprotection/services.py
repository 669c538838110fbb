"""Retention and the data subject's rights: erase a person's data, export it.

Pseudonymising a case removes everything that identifies or describes the person
(names, date of birth, contact, documents, free text in the case, its timeline, notes,
contact log, files, plan, referrals and exchange notes) and keeps the case facts that
statistics count: state and dates, form of exploitation, region, child flag,
non-punishment flag, the workflow's events, and, in the person row, only gender,
citizenship and the age band at registration. Audit entries hold counts and codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.audit.services import audit_record
from opennrm.cases import hooks
from opennrm.cases.models import AccessRequest, Case, CaseEvent, CaseGrant, Handover, Person
from opennrm.cases.selectors import CaseAccess, access_refused_audit, case_access_for
from opennrm.cases.services import grant_end
from opennrm.cases.workflow import State
from opennrm.core.errors import Forbidden, ValidationFailed
from opennrm.dataprotection.models import Erasure, ErasureKind
from opennrm.dataprotection.selectors import subject_data

#: person fields kept (generalised) for statistics; every other one is emptied
KEPT_PERSON_FIELDS = ("gender", "citizenship", "age_band")
_ERASED_PERSON = {
    "given_name": "",
    "family_name": "",
    "other_names": "",
    "date_of_birth": None,
    "languages": "",
    "contact": "",
    "documents": "",
}


class RetentionConfigError(Exception):
    """OPENNRM_RETENTION_DAYS cannot be read."""


def retention_periods(text: str | None = None) -> dict[str, int]:
    """Days per case state from ``OPENNRM_RETENTION_DAYS`` ("closed=1826,withdrawn=1096")."""
    text = settings.OPENNRM_RETENTION_DAYS if text is None else text
    periods: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        state, _sep, days = part.partition("=")
        state = state.strip()
        if state not in State.values:
            raise RetentionConfigError(
                f"OPENNRM_RETENTION_DAYS: unknown case state {state!r} "
                f"(states: {', '.join(State.values)})"
            )
        try:
            value = int(days)
        except ValueError:
            value = -1
        if value < 1:
            raise RetentionConfigError(
                f"OPENNRM_RETENTION_DAYS: {state} needs a whole number of days (at least 1)"
            )
        periods[state] = value
    return periods


def _age_band_at_registration(person: Person, case: Case) -> str:
    from opennrm.privacy import ctdc_age_band

    if person.date_of_birth is None:
        return person.age_band
    registered = timezone.localdate(case.created_at)
    born = person.date_of_birth
    years = (
        registered.year - born.year - ((registered.month, registered.day) < (born.month, born.day))
    )
    return ctdc_age_band(max(0, years)) or person.age_band


def _pseudonymise(case: Case, *, now: datetime) -> dict[str, int]:
    """Remove the person's data from one case, in the caller's transaction; counts only."""
    counts: dict[str, int] = {}
    person = Person.objects.filter(case=case).first()
    if person is not None:
        person.age_band = _age_band_at_registration(person, case)
        for name, value in _ERASED_PERSON.items():
            setattr(person, name, value)
        person.version = F("version") + 1
        person.save(update_fields=[*_ERASED_PERSON, "age_band", "version", "updated_at"])
        counts["person"] = 1
    Case.objects.filter(pk=case.pk).update(
        summary="", forced_criminality_note="", version=F("version") + 1, updated_at=now
    )
    # no lookups on these columns: they may be encrypted at rest (whole-column updates only)
    counts["timeline_texts"] = CaseEvent.objects.filter(case=case).update(reason="")
    counts["grant_notes"] = CaseGrant.objects.filter(case=case).update(note="", legal_basis_note="")
    counts["requests"] = AccessRequest.objects.filter(case=case).update(
        reason="", answer=""
    ) + Handover.objects.filter(case=case).update(reason="", answer="")
    hooks.run_case_anonymised(case)  # notes, contact log, files, plan text, referral notes
    return counts


def _record(case: Case, kind: str, now: datetime) -> None:
    Erasure.objects.create(case=case, kind=kind, state=case.state, at=now)


# --- retention ----------------------------------------------------------------------


@dataclass
class RetentionReport:
    periods: dict[str, int]
    by_state: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def retention_due(*, now: datetime, periods: dict[str, int]) -> dict[str, list[int]]:
    """Ids of the cases past their retention period, per state (not yet pseudonymised)."""
    due: dict[str, list[int]] = {}
    for state, days in sorted(periods.items()):
        cutoff = now - timedelta(days=days)
        entered = (
            Case.objects.filter(state=state, erasure__isnull=True)
            .annotate(entered=Max("events__at", filter=Q(events__to_state=state)))
            .filter(Q(entered__lt=cutoff) | Q(entered__isnull=True, updated_at__lt=cutoff))
            .order_by("id")
            .values_list("id", flat=True)
        )
        due[state] = list(entered)
    return due


def retention_apply(
    *, actor: User | None, dry_run: bool = False, now: datetime | None = None
) -> RetentionReport:
    """Pseudonymise every case past the retention period of its state.

    ``actor=None`` is the system (the scheduled command). One audit entry with the
    counts per state; a dry run changes and records nothing.
    """
    now = now or timezone.now()
    periods = retention_periods()
    due = retention_due(now=now, periods=periods)
    report = RetentionReport(
        periods=periods, by_state={s: len(ids) for s, ids in due.items() if ids}, dry_run=dry_run
    )
    if dry_run or not report.total:
        return report
    for state, ids in due.items():
        for case_id in ids:
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                if case.state != state or Erasure.objects.filter(case=case).exists():
                    report.by_state[state] -= 1  # moved on meanwhile
                    continue
                _pseudonymise(case, now=now)
                CaseGrant.objects.filter(case=case, revoked_at__isnull=True).update(revoked_at=now)
                _record(case, ErasureKind.RETENTION, now)
    report.by_state = {s: n for s, n in report.by_state.items() if n}
    audit_record(
        actor=actor,
        action="retention.apply",
        object_type="retention",
        object_ref=now.date().isoformat(),
        detail={"cases": report.total, "by_state": report.by_state, "periods": periods},
    )
    return report


# --- the data subject's rights ------------------------------------------------------


def subject_rights_access(actor: User, reference: str, action: str) -> CaseAccess:
    """The case, when ``actor`` may use the data subject's ``action`` (``subject_access`` or
    ``erase``) on it; a refusal is audited."""
    access = case_access_for(actor, reference)
    if not access.may(action):
        access_refused_audit(
            actor, reference=access.case.reference, what=f"subject:{action}", purpose=access.purpose
        )
        raise Forbidden(
            _("Only a case manager or coordinator of the agency that owns the case can do this.")
        )
    return access


def subject_export(*, actor: User, reference: str) -> dict[str, Any]:
    """Everything held about the person of a case (right of access), audited."""
    access = subject_rights_access(actor, reference, "subject_access")
    with transaction.atomic():
        data = subject_data(access.case)
        audit_record(
            actor=actor,
            action="subject.export",
            object_type="case",
            object_ref=access.case.reference,
            purpose=access.purpose,
            detail={"parts": sorted(k for k, v in data.items() if v)},
        )
    return data


def subject_erase(*, actor: User, reference: str, confirm: str) -> dict[str, int]:
    """Erase the person's data everywhere (right to erasure); the case's counts stay.

    ``confirm`` must repeat the case reference. Active shares end. The audit entry
    holds counts only.
    """
    access = subject_rights_access(actor, reference, "erase")
    case = access.case
    if confirm.strip().upper() != case.reference.upper():
        raise ValidationFailed(
            _("Type the case reference to confirm the erasure."), field="confirm"
        )
    if Erasure.objects.filter(case=case).exists():
        raise ValidationFailed(
            _("The personal data of this case has already been erased."), field="confirm"
        )
    now = timezone.now()
    with transaction.atomic():
        counts = _pseudonymise(case, now=now)
        ended = 0
        for grant in case.grants.filter(revoked_at__isnull=True).select_related("agency", "user"):
            grant_end(actor=actor, grant=grant, now=now, why="erasure")
            ended += 1
        counts["grants_ended"] = ended
        _record(case, ErasureKind.ERASURE, now)
        audit_record(
            actor=actor,
            action="subject.erase",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose,
            detail=counts,
        )
    return counts
