"""Writes on cases, people and grants. Each takes the acting user, checks what
that user may do, writes the audit entry in the same transaction, and uses
optimistic locking (``expected_version``) so that a stale edit is refused."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import CASE_ROLES, CREATE_CASE_ROLES, EDIT_CASE_ROLES, GRANT_ROLES
from opennrm.accounts.selectors import jurisdiction_for
from opennrm.audit.services import audit_record
from opennrm.cases.models import (
    AccessPurpose,
    Case,
    CaseEvent,
    CaseGrant,
    DeadlineKind,
    ExploitationType,
    Person,
)
from opennrm.cases.workflow import (
    TERMINAL_STATES,
    TRANSITIONS,
    ScreeningOutcome,
    State,
    transitions_from,
)
from opennrm.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed

_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read out on a phone


def _new_reference() -> str:
    for _attempt in range(10):
        ref = "C-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
        if not Case.objects.filter(reference=ref).exists():
            return ref
    raise RuntimeError("could not allocate a unique case reference")  # pragma: no cover


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday–Friday) after ``start``. Public holidays are not modelled."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def _jurisdiction_today(country: str, now: datetime | None = None) -> date:
    rules = jurisdiction_for(country)
    return timezone.localtime(now or timezone.now(), ZoneInfo(rules.time_zone)).date()


def _event(
    case: Case, actor: User, kind: str, *, at: datetime | None = None, **fields: Any
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        actor_agency_id=actor.agency_id,
        at=at or timezone.now(),
        **fields,
    )


def _require_role(actor: User, roles: frozenset[Any], what: str) -> None:
    if actor.role not in roles or actor.agency_id is None:
        raise Forbidden(_("Your role may not %(what)s.") % {"what": what})


def _bump_version(case: Case, expected_version: int, **changes: Any) -> None:
    """Write ``changes`` only if nobody changed the case since ``expected_version``."""
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise Conflict(
            _(
                "This case was changed by someone else after you opened it. "
                "Reload it to see the current version, then make your change again."
            )
        )
    case.refresh_from_db()


@transaction.atomic
def case_create(
    *,
    actor: User,
    exploitation_type: str = ExploitationType.UNKNOWN,
    region: str = "",
    is_child: bool = False,
    summary: str = "",
    forced_criminality: bool = False,
    forced_criminality_note: str = "",
) -> Case:
    _require_role(actor, CREATE_CASE_ROLES, _("open cases"))
    if exploitation_type not in ExploitationType.values:
        raise ValidationFailed(_("Unknown form of exploitation."), field="exploitation_type")
    if forced_criminality and not forced_criminality_note.strip():
        raise ValidationFailed(
            _("Say briefly why the person was compelled to commit offences."),
            field="forced_criminality_note",
        )
    agency = actor.agency
    assert agency is not None  # noqa: S101 - _require_role guarantees it
    case = Case.objects.create(
        reference=_new_reference(),
        owning_agency=agency,
        created_by=actor,
        state=State.FLAGGED,
        exploitation_type=exploitation_type,
        country=agency.country,
        region=region or agency.region,
        is_child=is_child,
        summary=summary,
        forced_criminality=forced_criminality,
        forced_criminality_note=forced_criminality_note,
    )
    _event(case, actor, "created", to_state=State.FLAGGED)
    audit_record(
        actor=actor,
        action="case.create",
        object_type="case",
        object_ref=case.reference,
        detail={"is_child": is_child, "forced_criminality": forced_criminality},
    )
    return case


_EDITABLE = {
    "exploitation_type",
    "region",
    "summary",
    "is_child",
    "forced_criminality",
    "forced_criminality_note",
}


@transaction.atomic
def case_update(*, actor: User, case: Case, expected_version: int, changes: dict[str, Any]) -> Case:
    _require_role(actor, EDIT_CASE_ROLES, _("edit cases"))
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    if case.state in TERMINAL_STATES:
        raise InvalidTransition(_("A closed or withdrawn case cannot be edited."))
    if (
        "exploitation_type" in changes
        and changes["exploitation_type"] not in ExploitationType.values
    ):
        raise ValidationFailed(_("Unknown form of exploitation."), field="exploitation_type")
    flag = changes.get("forced_criminality", case.forced_criminality)
    note = changes.get("forced_criminality_note", case.forced_criminality_note)
    if flag and not str(note).strip():
        raise ValidationFailed(
            _("Say briefly why the person was compelled to commit offences."),
            field="forced_criminality_note",
        )
    was_flagged = case.forced_criminality
    _bump_version(case, expected_version, **changes)
    if flag != was_flagged:
        _event(
            case,
            actor,
            "non_punishment_flag" if flag else "non_punishment_unflag",
            reason=str(note),
        )
    else:
        _event(case, actor, "updated", reason=", ".join(sorted(changes)))
    audit_record(
        actor=actor,
        action="case.update",
        object_type="case",
        object_ref=case.reference,
        detail={"fields": sorted(changes)},
    )
    return case


@transaction.atomic
def case_transition(
    *,
    actor: User,
    case: Case,
    name: str,
    expected_version: int,
    reason: str = "",
    screening_outcome: str = "",
    referral_agency: Agency | None = None,
    now: datetime | None = None,
) -> Case:
    """Move a case one step along the NRM workflow, or refuse with the reason."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise InvalidTransition(_("Unknown workflow step: %(n)s") % {"n": name}, field="transition")
    if case.state not in transition.sources:
        possible = ", ".join(f"«{t.label}»" for t in transitions_from(case.state)) or _("none")
        raise InvalidTransition(
            _(
                "“%(step)s” is not possible while the case is “%(state)s”. Possible steps: %(possible)s."
            )
            % {"step": transition.label, "state": State(case.state).label, "possible": possible},
            field="transition",
        )
    if actor.role not in transition.roles:
        raise Forbidden(_("Your role may not do “%(step)s”.") % {"step": transition.label})
    reason = reason.strip()
    if transition.requires_reason and not reason:
        raise ValidationFailed(_("Give the reason for this decision."), field="reason")
    if transition.requires_screening_outcome and screening_outcome not in ScreeningOutcome.values:
        raise ValidationFailed(_("Record the screening outcome."), field="screening_outcome")
    if transition.requires_referral_agency and referral_agency is None:
        raise ValidationFailed(
            _("Choose the agency you refer the case to."), field="referral_agency"
        )
    if referral_agency is not None and not transition.requires_referral_agency:
        raise ValidationFailed(
            _("Only the referral step names an agency."), field="referral_agency"
        )
    if transition.requires_referral_agency and actor.agency_id != case.owning_agency_id:
        raise Forbidden(_("Only the agency that owns the case can refer it."))

    now = now or timezone.now()
    today = _jurisdiction_today(case.country, now)
    rules = jurisdiction_for(case.country)
    changes: dict[str, Any] = {"state": transition.target}
    if (
        transition.requires_reflection_over
        and case.reflection_ends
        and today < case.reflection_ends
    ):
        raise InvalidTransition(
            _(
                "The recovery and reflection period runs until %(d)s; the formal decision comes after it."
            )
            % {"d": case.reflection_ends.isoformat()},
            field="transition",
        )
    if transition.requires_screening_outcome:
        changes["screening_outcome"] = screening_outcome
    if transition.target == State.REFERRED:
        rg_due = add_working_days(today, rules.rg_decision_working_days)
        changes.update(rg_due=rg_due, deadline=rg_due, deadline_kind=DeadlineKind.RG_DECISION)
    elif transition.target == State.RECOVERY_REFLECTION:
        ends = today + timedelta(days=max(30, rules.reflection_days))
        changes.update(
            reflection_starts=today,
            reflection_ends=ends,
            deadline=ends,
            deadline_kind=DeadlineKind.REFLECTION_ENDS,
        )
    else:
        changes.update(deadline=None, deadline_kind="")

    from_state = case.state
    _bump_version(case, expected_version, **changes)
    _event(
        case,
        actor,
        "transition",
        at=now,
        transition=name,
        from_state=from_state,
        to_state=transition.target,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="case.transition",
        object_type="case",
        object_ref=case.reference,
        detail={"transition": name, "from": from_state, "to": transition.target},
    )
    if referral_agency is not None and referral_agency.pk != case.owning_agency_id:
        grant_create(
            actor=actor,
            case=case,
            agency=referral_agency,
            purpose=AccessPurpose.NRM_REFERRAL,
            expires_at=now + timedelta(days=settings.OPENNRM_GRANT_MAX_DAYS),
            _skip_role_check=True,
        )
    return case


# --- personal data ------------------------------------------------------------

PERSON_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "age_band",
    "gender",
    "citizenship",
    "languages",
    "contact",
    "documents",
)


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@transaction.atomic
def person_read(
    *, actor: User, case: Case, purpose: str = AccessPurpose.CASE_WORK
) -> Person | None:
    """Read the person's data of a case; every read is audited with its purpose code."""
    _require_role(actor, CASE_ROLES, _("see personal data"))
    if purpose not in AccessPurpose.values:
        raise ValidationFailed(
            _("Choose the purpose of the access from the list."), field="purpose"
        )
    person = Person.objects.filter(case=case).first()
    audit_record(
        actor=actor,
        action="person.view",
        object_type="case",
        object_ref=case.reference,
        purpose=purpose,
    )
    return person


@transaction.atomic
def person_save(
    *, actor: User, case: Case, data: dict[str, Any], expected_version: int | None
) -> Person:
    """Create or update the person of a case (``expected_version`` None only when creating)."""
    _require_role(actor, EDIT_CASE_ROLES, _("edit personal data"))
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, field=sorted(unknown)[0]
        )
    born = data.get("date_of_birth")
    today = _jurisdiction_today(case.country)
    if born is not None and born > today:
        raise ValidationFailed(_("The date of birth is in the future."), field="date_of_birth")
    person = Person.objects.filter(case=case).first()
    if person is None:
        if expected_version not in (None, 0):
            raise Conflict(
                _("The personal record was deleted after you opened it. Reload the page.")
            )
        person = Person.objects.create(case=case, **data)
        action = "person.create"
    else:
        if expected_version is None:
            raise Conflict(_("A personal record exists already. Reload the page to edit it."))
        updated = Person.objects.filter(pk=person.pk, version=expected_version).update(
            version=F("version") + 1, updated_at=timezone.now(), **data
        )
        if not updated:
            raise Conflict(
                _(
                    "Someone else changed this personal record after you opened it. "
                    "Reload it, then make your change again."
                )
            )
        person.refresh_from_db()
        action = "person.update"
    child = born is not None and _age_on(born, today) < 18
    if born is not None and child != case.is_child:
        Case.objects.filter(pk=case.pk).update(is_child=child, version=F("version") + 1)
        case.refresh_from_db()
    _event(case, actor, "person_updated")
    audit_record(
        actor=actor,
        action=action,
        object_type="case",
        object_ref=case.reference,
        detail={"fields": sorted(data)},
    )
    return person


# --- need-to-know grants --------------------------------------------------------------


@transaction.atomic
def grant_create(
    *,
    actor: User,
    case: Case,
    purpose: str,
    expires_at: datetime,
    agency: Agency | None = None,
    user: User | None = None,
    note: str = "",
    _skip_role_check: bool = False,
) -> CaseGrant:
    """Share a case with one agency or one user, for a stated purpose, until a date.

    ``purpose`` is an :class:`AccessPurpose` code (it goes into the audit log); ``note``
    is kept on the grant only, for the people who can see the case.
    """
    if not _skip_role_check:
        _require_role(actor, GRANT_ROLES, _("share cases"))
        if actor.agency_id != case.owning_agency_id:
            raise Forbidden(_("Only the agency that owns the case can share it."))
    if (agency is None) == (user is None):
        raise ValidationFailed(_("Share with either one agency or one user."), field="agency")
    if purpose not in AccessPurpose.values:
        raise ValidationFailed(
            _("Choose the purpose of the access from the list."), field="purpose"
        )
    if timezone.is_naive(expires_at):
        raise ValidationFailed(_("Give the expiry with its time zone."), field="expires_at")
    now = timezone.now()
    if expires_at <= now:
        raise ValidationFailed(_("The expiry must be in the future."), field="expires_at")
    if expires_at > now + timedelta(days=settings.OPENNRM_GRANT_MAX_DAYS):
        raise ValidationFailed(
            _("Access can be granted for at most %(d)s days.")
            % {"d": settings.OPENNRM_GRANT_MAX_DAYS},
            field="expires_at",
        )
    if user is not None and user.role not in CASE_ROLES:
        raise ValidationFailed(_("This user's role does not work with cases."), field="user")
    grant = CaseGrant.objects.create(
        case=case,
        agency=agency,
        user=user,
        purpose=purpose,
        note=note.strip()[:500],
        expires_at=expires_at,
        granted_by=actor,
        granted_at=now,
    )
    _event(case, actor, "grant", reason=f"{agency or user}: {grant.get_purpose_display()}")
    audit_record(
        actor=actor,
        action="grant.create",
        object_type="case",
        object_ref=case.reference,
        purpose=grant.purpose,
        detail={
            "grant_id": grant.pk,
            "agency_id": agency.pk if agency else None,
            "user_id": user.pk if user else None,
            "expires_at": expires_at.isoformat(),
        },
    )
    return grant


@transaction.atomic
def grant_revoke(*, actor: User, grant: CaseGrant) -> CaseGrant:
    _require_role(actor, GRANT_ROLES, _("share cases"))
    if actor.agency_id != grant.case.owning_agency_id:
        raise Forbidden(_("Only the agency that owns the case can revoke access."))
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.revoked_by = actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        _event(grant.case, actor, "grant_revoked", reason=str(grant.agency or grant.user))
        audit_record(
            actor=actor,
            action="grant.revoke",
            object_type="case",
            object_ref=grant.case.reference,
            detail={"grant_id": grant.pk},
        )
    return grant


def case_view_audit(*, actor: User, case: Case, purpose: str = AccessPurpose.CASE_WORK) -> None:
    """Record that a user opened a case."""
    audit_record(
        actor=actor,
        action="case.view",
        object_type="case",
        object_ref=case.reference,
        purpose=purpose,
    )
