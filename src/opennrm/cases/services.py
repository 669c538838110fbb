"""Writes on cases, people and grants. Each takes the acting user, checks what
that user may do, writes the audit entry in the same transaction, and uses
optimistic locking (``expected_version``) so that a stale edit is refused."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import CASE_ROLES, CREATE_CASE_ROLES, Role
from opennrm.accounts.selectors import jurisdiction_for
from opennrm.audit.services import audit_record
from opennrm.cases import hooks, policy
from opennrm.cases.models import (
    AccessPurpose,
    AccessRequest,
    Case,
    CaseEvent,
    CaseGrant,
    Consent,
    ConsentKind,
    ConsentMethod,
    DeadlineKind,
    ExploitationType,
    GuardianRole,
    Handover,
    LegalBasis,
    Person,
)
from opennrm.cases.selectors import (
    CaseAccess,
    access_refused_audit,
    case_access_for,
    consent_covering,
)
from opennrm.cases.workflow import (
    TERMINAL_STATES,
    TRANSITIONS,
    ScreeningOutcome,
    State,
    Transition,
    transitions_from,
)
from opennrm.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed

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


def _access(actor: User, case: Case) -> CaseAccess:
    """Every service decides through the one access helper, whoever called it."""
    return case_access_for(actor, case.reference)


def _refuse(access: CaseAccess, what: str, message: str) -> Forbidden:
    """Audit a refused attempt (its own entry, kept even though the change is refused)."""
    access_refused_audit(
        access.user, reference=access.case.reference, what=what, purpose=access.purpose
    )
    return Forbidden(message)


def _require_action(access: CaseAccess, action: str, message: str) -> None:
    if not access.may(action):
        raise _refuse(access, action, message)


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


def case_update(*, actor: User, case: Case, expected_version: int, changes: dict[str, Any]) -> Case:
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    access = _access(actor, case)
    refused = sorted(f for f in changes if not access.edits(f))
    if refused:
        raise _refuse(
            access,
            "edit:" + ",".join(refused),
            _("Your access to this case does not let you change these facts."),
        )
    return _case_update(actor=actor, case=case, expected_version=expected_version, changes=changes)


@transaction.atomic
def _case_update(
    *, actor: User, case: Case, expected_version: int, changes: dict[str, Any]
) -> Case:
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


def case_step_check(*, actor: User, case: Case, name: str) -> None:
    """Refuse (audited) a workflow step this actor may not take on this case.

    Also called by the API before it looks up an id the step names (the agency to
    refer to), so that someone who may not take the step learns nothing about ids.
    """
    transition = TRANSITIONS.get(name)
    if transition is not None and case.state in transition.sources:
        access = _access(actor, case)
        if actor.role not in transition.roles:
            raise _refuse(
                access,
                "step:" + name,
                _("Your role may not do “%(step)s”.") % {"step": transition.label},
            )
        if not access.may_step(transition):
            raise _refuse(
                access,
                "step:" + name,
                _("Your access to this case (%(purpose)s) does not include “%(step)s”.")
                % {"purpose": access.profile.label, "step": transition.label},
            )


def _step_for(*, actor: User, case: Case, name: str) -> Transition:
    """The step, or the refusal: unknown, impossible in the case's state, not for the role."""
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
    return transition


def case_step_naming_agency_check(*, actor: User, case: Case, name: str) -> None:
    """Every refusal a step naming an agency meets before the agency is looked at.

    The API calls it when the named agency id does not exist, so the answer is the one an
    existing agency would get; only who may take the referral step now learns that the id
    is unknown (and that user is shown the agencies to refer to anyway).
    """
    case_step_check(actor=actor, case=case, name=name)
    transition = _step_for(actor=actor, case=case, name=name)
    if not transition.requires_referral_agency:
        raise ValidationFailed(
            _("Only the referral step names an agency."), field="referral_agency"
        )


def case_consent_check(*, actor: User, case: Case) -> None:
    """Refuse (audited) recording consent for an actor who may not (see case_step_check)."""
    _require_action(
        _access(actor, case),
        "consent",
        _("Your access to this case does not let you record consent."),
    )


def case_handover_check(*, actor: User, case: Case) -> None:
    """Refuse (audited) a hand-over by an actor who may not (see case_step_check)."""
    access = _access(actor, case)
    _require_action(
        access, "handover", _("Your access to this case does not let you hand it over.")
    )
    if not access.owner:
        raise _refuse(access, "handover", _("Only the agency that owns the case can hand it over."))


def case_transition(
    *,
    actor: User,
    case: Case,
    name: str,
    expected_version: int,
    reason: str = "",
    screening_outcome: str = "",
    referral_agency: Agency | None = None,
    legal_basis: str = "",
    legal_basis_note: str = "",
    now: datetime | None = None,
) -> Case:
    """Move a case one step along the NRM workflow, or refuse with the reason.

    The referral step shares the case with the coordination office: it needs the
    person's consent to that, a child's case being referred on the child-protection
    basis, or a legal basis recorded by a user allowed to use one.
    """
    case_step_check(actor=actor, case=case, name=name)
    return _case_transition(
        actor=actor,
        case=case,
        name=name,
        expected_version=expected_version,
        reason=reason,
        screening_outcome=screening_outcome,
        referral_agency=referral_agency,
        legal_basis=legal_basis,
        legal_basis_note=legal_basis_note,
        now=now,
    )


@transaction.atomic
def _case_transition(
    *,
    actor: User,
    case: Case,
    name: str,
    expected_version: int,
    reason: str,
    screening_outcome: str,
    referral_agency: Agency | None,
    legal_basis: str,
    legal_basis_note: str,
    now: datetime | None,
) -> Case:
    transition = _step_for(actor=actor, case=case, name=name)
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
    now = now or timezone.now()
    consent = None
    if referral_agency is not None and referral_agency.pk != case.owning_agency_id:
        consent, legal_basis = consent_or_basis(
            actor=actor,
            case=case,
            kind=ConsentKind.SHARING,
            agency=referral_agency,
            purpose=AccessPurpose.NRM_REFERRAL,
            legal_basis=legal_basis,
            legal_basis_note=legal_basis_note,
            automatic_child_basis=True,
            today=_jurisdiction_today(case.country, now),
        )
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
        grant_insert(
            actor=actor,
            case=case,
            agency=referral_agency,
            purpose=AccessPurpose.NRM_REFERRAL,
            expires_at=now + timedelta(days=settings.OPENNRM_GRANT_MAX_DAYS),
            consent=consent,
            legal_basis=legal_basis,
            legal_basis_note=legal_basis_note,
        )
        notify_agency_about(
            referral_agency, kind="referral_new", case=case, object_id=None, dedupe=f"nrm:{case.pk}"
        )
    return case


# --- personal data ------------------------------------------------------------

PERSON_FIELDS = policy.PERSON_FIELDS


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class PersonView:
    """The personal data one user may see: only the fields their access allows."""

    version: int
    fields: dict[str, Any]
    hidden: tuple[str, ...]


def person_read(*, actor: User, case: Case, purpose: str = "") -> PersonView | None:
    """Read the person's data of a case, only the fields the access allows; every read
    is audited with the purpose actually used and the fields shown."""
    access = _access(actor, case)
    if purpose and purpose != access.purpose and purpose not in access.purpose.split("+"):
        raise _refuse(
            access,
            "person:purpose",
            _("You do not hold access to this case for that purpose."),
        )
    visible = access.person_fields
    if not visible:
        raise _refuse(
            access, "person", _("Your access to this case does not include personal data.")
        )
    with transaction.atomic():
        person = Person.objects.filter(case=case).first()
        audit_record(
            actor=actor,
            action="person.view",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose,
            detail={"fields": list(visible)},
        )
    if person is None:
        return None
    return PersonView(
        version=person.version,
        fields={f: getattr(person, f) for f in visible},
        hidden=tuple(f for f in PERSON_FIELDS if f not in visible),
    )


def person_save(
    *, actor: User, case: Case, data: dict[str, Any], expected_version: int | None
) -> Person:
    """Create or update the person of a case (``expected_version`` None only when creating).

    Only the fields sent are written, and each must be editable under the user's access.
    """
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}, field=sorted(unknown)[0]
        )
    access = _access(actor, case)
    if case.anonymous_report:
        raise _refuse(
            access,
            "person:anonymous",
            _(
                "The person declined consent: this case is an anonymous report and keeps no personal data."
            ),
        )
    refused = sorted(f for f in data if not access.edits_person(f))
    if refused:
        raise _refuse(
            access,
            "person:edit",
            _("Your access to this case does not let you change this personal data."),
        )
    return _person_save(actor=actor, case=case, data=data, expected_version=expected_version)


@transaction.atomic
def _person_save(
    *, actor: User, case: Case, data: dict[str, Any], expected_version: int | None
) -> Person:
    born = data.get("date_of_birth")
    today = _jurisdiction_today(case.country)
    if born is not None and born > today:
        raise ValidationFailed(_("The date of birth is in the future."), field="date_of_birth")
    if born is not None and born.year < today.year - 120:
        raise ValidationFailed(
            _("The date of birth is more than 120 years ago. Check the year."),
            field="date_of_birth",
        )
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


# --- consent ------------------------------------------------------------------


def consent_or_basis(
    *,
    actor: User,
    case: Case,
    kind: str,
    purpose: str,
    agency: Agency | None = None,
    service_ref: str = "",
    partner: str = "",
    legal_basis: str = "",
    legal_basis_note: str = "",
    automatic_child_basis: bool = False,
    today: date | None = None,
) -> tuple[Consent | None, str]:
    """The consent a share rests on, or the legal basis that replaces it; else refuse.

    A child's referral into the NRM rests on child protection by law
    (``automatic_child_basis``); any other share without consent needs the explicit
    permission ``may_share_without_consent`` and a written basis.
    """
    if case.anonymous_report:
        raise Forbidden(
            _("The person declined consent: this case is an anonymous report and cannot be shared.")
        )
    if not policy.profile_for(purpose).needs_consent:
        return None, ""
    if not legal_basis:
        consent = consent_covering(
            case,
            kind=kind,
            agency_id=agency.pk if agency is not None else None,
            service_ref=service_ref,
            partner=partner,
            purpose=purpose,
            today=today,
        )
        if consent is not None:
            return consent, ""
        if automatic_child_basis and case.is_child:
            return None, LegalBasis.CHILD_PROTECTION
        raise ValidationFailed(
            _(
                "Record the person's consent to this first (who receives it, which data, until "
                "when). Without it the case cannot be shared."
            ),
            field="consent",
        )
    if legal_basis not in LegalBasis.values:
        raise ValidationFailed(_("Choose the legal basis from the list."), field="legal_basis")
    if not actor.may_share_without_consent:
        raise Forbidden(
            _("Sharing without consent needs an explicit permission, which you do not have.")
        )
    if legal_basis == LegalBasis.CHILD_PROTECTION and not case.is_child:
        raise ValidationFailed(
            _("Child protection is a legal basis only for a child's case."), field="legal_basis"
        )
    if len(legal_basis_note.strip()) < 10:
        raise ValidationFailed(
            _("Write the legal basis (the law and why it applies) in a sentence."),
            field="legal_basis_note",
        )
    return None, legal_basis


def consent_record(
    *,
    actor: User,
    case: Case,
    kind: str,
    given: bool = True,
    purpose: str = "",
    recipient_agency: Agency | None = None,
    service_ref: str = "",
    service_name: str = "",
    partner: str = "",
    fields: list[str] | tuple[str, ...] = (),
    obtained_on: date,
    method: str,
    interpreter_language: str = "",
    guardian: str = "",
    expires_on: date | None = None,
) -> Consent:
    """Record the person's answer for one purpose of sharing, with its scope and expiry."""
    access = _access(actor, case)
    _require_action(
        access, "consent", _("Your access to this case does not let you record consent.")
    )
    if kind not in ConsentKind.values:
        raise ValidationFailed(_("Choose what the consent is for."), field="kind")
    if method not in ConsentMethod.values:
        raise ValidationFailed(_("Say how the consent was obtained."), field="method")
    if purpose and purpose not in AccessPurpose.values:
        raise ValidationFailed(
            _("Choose the purpose of the access from the list."), field="purpose"
        )
    if guardian not in GuardianRole.values:
        raise ValidationFailed(_("Choose who agreed for the child."), field="guardian")
    if case.is_child and given and not guardian:
        raise ValidationFailed(
            _("For a child, record which guardian agreed as well."), field="guardian"
        )
    bad = sorted(set(fields) - set(PERSON_FIELDS))
    if bad:
        raise ValidationFailed(_("Unknown fields: %(f)s") % {"f": ", ".join(bad)}, field="fields")
    if kind == ConsentKind.SHARING and recipient_agency is None:
        raise ValidationFailed(_("Name the agency the person agrees to."), field="recipient_agency")
    if kind == ConsentKind.REFERRAL and not service_ref:
        raise ValidationFailed(_("Name the service the person agrees to."), field="service_ref")
    if kind == ConsentKind.TRANSNATIONAL and not partner.strip():
        raise ValidationFailed(
            _("Name the partner in the other country the person agrees to."), field="partner"
        )
    today = _jurisdiction_today(case.country)
    if obtained_on > today:
        raise ValidationFailed(_("The date is in the future."), field="obtained_on")
    if obtained_on < today - timedelta(days=366):
        raise ValidationFailed(
            _("Consent older than a year is not valid: ask the person again."),
            field="obtained_on",
        )
    if expires_on is not None and expires_on <= today:
        raise ValidationFailed(_("The end date must be in the future."), field="expires_on")
    if len(interpreter_language) > 8:
        raise ValidationFailed(
            _("Choose the language from the list."), field="interpreter_language"
        )
    with transaction.atomic():
        consent = Consent.objects.create(
            case=case,
            kind=kind,
            given=given,
            purpose=purpose,
            recipient_agency=recipient_agency,
            service_ref=service_ref[:64],
            service_name=service_name.strip()[:300],
            partner=partner.strip()[:100],
            fields=sorted(set(fields)),
            obtained_on=obtained_on,
            method=method,
            interpreter_language=interpreter_language,
            guardian=guardian,
            expires_on=expires_on,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        _event(
            case,
            actor,
            "consent_given" if given else "consent_refused_one",
            reason=str(ConsentKind(kind).value),
        )
        audit_record(
            actor=actor,
            action="consent.record",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose,
            detail={"consent_id": consent.pk, "kind": kind, "given": given, "fields": len(fields)},
        )
    return consent


def consent_withdraw(*, actor: User, consent: Consent) -> Consent:
    """Withdrawal takes effect at once: the shares resting on it end, recipients are told."""
    case = consent.case
    access = _access(actor, case)
    _require_action(
        access, "consent", _("Your access to this case does not let you record consent.")
    )
    if consent.withdrawn_at is not None:
        return consent
    now = timezone.now()
    with transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(withdrawn_at=now, withdrawn_by=actor)
        consent.withdrawn_at, consent.withdrawn_by = now, actor
        ended = list(consent.grants.filter(revoked_at__isnull=True).select_related("agency"))
        for grant in ended:
            grant_end(actor=actor, grant=grant, now=now, why="consent_withdrawn")
        _event(case, actor, "consent_withdrawn", reason=str(ConsentKind(consent.kind).value))
        audit_record(
            actor=actor,
            action="consent.withdraw",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose,
            detail={"consent_id": consent.pk, "grants_ended": [g.pk for g in ended]},
        )
        for grant in ended:
            if grant.agency is not None:
                notify_agency_about(
                    grant.agency,
                    kind="consent_withdrawn",
                    case=case,
                    object_id=consent.pk,
                    dedupe=f"consent_withdrawn:{consent.pk}",
                )
        hooks.run_consent_withdrawn(consent)
    return consent


def case_make_anonymous(*, actor: User, case: Case, reason: str = "") -> Case:
    """An adult declined consent: keep the case as an anonymous report (no personal data,
    not shared, still counted in statistics)."""
    access = _access(actor, case)
    _require_action(
        access, "consent", _("Your access to this case does not let you record consent.")
    )
    if not access.owner:
        raise _refuse(access, "anonymous", _("Only the agency that owns the case can do this."))
    if case.is_child:
        raise ValidationFailed(
            _("A child's case is not made anonymous: children are protected without consent."),
            field="reason",
        )
    now = timezone.now()
    with transaction.atomic():
        Person.objects.filter(case=case).delete()
        hooks.run_case_anonymised(case)  # notes, contacts, files of other apps
        for grant in case.grants.filter(revoked_at__isnull=True):
            grant_end(actor=actor, grant=grant, now=now, why="anonymous")
        Case.objects.filter(pk=case.pk).update(
            anonymous_report=True, summary="", version=F("version") + 1, updated_at=now
        )
        case.refresh_from_db()
        _event(case, actor, "consent_refused")
        audit_record(
            actor=actor,
            action="case.anonymous_report",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose,
        )
    return case


# --- need-to-know grants --------------------------------------------------------------


def grant_create(
    *,
    actor: User,
    case: Case,
    purpose: str,
    expires_at: datetime,
    agency: Agency | None = None,
    user: User | None = None,
    note: str = "",
    legal_basis: str = "",
    legal_basis_note: str = "",
) -> CaseGrant:
    """Share a case with one agency or one user, for a stated purpose, until a date.

    Only a relation whose profile allows sharing may share (the owner, the NRM decider);
    a purpose that needs consent needs a consent naming that agency (or a legal basis).
    ``purpose`` is an :class:`AccessPurpose` code (it goes into the audit log); ``note``
    is kept on the grant only, for the people who can see the case.
    """
    access = _access(actor, case)
    _require_action(access, "share", _("Your access to this case does not let you share it."))
    if (agency is None) == (user is None):
        raise ValidationFailed(_("Share with either one agency or one user."), field="agency")
    if purpose not in policy.GRANTABLE_PURPOSES:
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
    consent, legal_basis = consent_or_basis(
        actor=actor,
        case=case,
        kind=ConsentKind.SHARING,
        agency=agency if agency is not None else user.agency,  # type: ignore[union-attr]
        purpose=purpose,
        legal_basis=legal_basis,
        legal_basis_note=legal_basis_note,
    )
    return grant_insert(
        actor=actor,
        case=case,
        agency=agency,
        user=user,
        purpose=purpose,
        expires_at=expires_at,
        note=note,
        consent=consent,
        legal_basis=legal_basis,
        legal_basis_note=legal_basis_note,
    )


@transaction.atomic
def grant_insert(
    *,
    actor: User,
    case: Case,
    purpose: str,
    expires_at: datetime,
    agency: Agency | None = None,
    user: User | None = None,
    note: str = "",
    consent: Consent | None = None,
    legal_basis: str = "",
    legal_basis_note: str = "",
) -> CaseGrant:
    """Write a grant whose permission was checked by the caller (the one place grants are
    made: shares, the NRM referral step, approved requests, referrals to services)."""
    now = timezone.now()
    if consent is not None and consent.expires_on is not None:
        ends = datetime.combine(consent.expires_on + timedelta(days=1), datetime.min.time())
        expires_at = min(expires_at, timezone.make_aware(ends))
    grant = CaseGrant.objects.create(
        case=case,
        agency=agency,
        user=user,
        purpose=purpose,
        note=note.strip()[:500],
        expires_at=expires_at,
        granted_by=actor,
        granted_at=now,
        consent=consent,
        legal_basis=legal_basis,
        legal_basis_note=legal_basis_note.strip()[:1000] if legal_basis else "",
    )
    _event(case, actor, "grant", reason=f"{agency or user}: {grant.get_purpose_display()}")
    if legal_basis:
        _event(case, actor, "legal_basis", reason=str(LegalBasis(legal_basis).label))
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
            "consent_id": consent.pk if consent else None,
            "legal_basis": legal_basis,
        },
    )
    return grant


def grant_end(*, actor: User, grant: CaseGrant, now: datetime, why: str) -> None:
    CaseGrant.objects.filter(pk=grant.pk).update(revoked_at=now, revoked_by=actor)
    grant.revoked_at, grant.revoked_by = now, actor
    _event(grant.case, actor, "grant_ended", reason=str(grant.agency or grant.user))
    audit_record(
        actor=actor,
        action="grant.end",
        object_type="case",
        object_ref=grant.case.reference,
        purpose=grant.purpose,
        detail={"grant_id": grant.pk, "why": why},
    )


def grant_revoke(*, actor: User, grant: CaseGrant) -> CaseGrant:
    access = _access(actor, grant.case)
    _require_action(access, "share", _("Your access to this case does not let you share it."))
    if not access.owner and grant.granted_by.agency_id != actor.agency_id:
        raise _refuse(
            access, "revoke", _("Only the owner or the agency that shared it can revoke access.")
        )
    if grant.revoked_at is None:
        with transaction.atomic():
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


def grant_set_expiry(*, actor: User, grant: CaseGrant, expires_at: datetime, why: str) -> None:
    """Shorten or extend a grant that a referral rests on (the referral decides when)."""
    with transaction.atomic():
        CaseGrant.objects.filter(pk=grant.pk).update(expires_at=expires_at)
        grant.expires_at = expires_at
        audit_record(
            actor=actor,
            action="grant.expiry",
            object_type="case",
            object_ref=grant.case.reference,
            purpose=grant.purpose,
            detail={"grant_id": grant.pk, "expires_at": expires_at.isoformat(), "why": why},
        )


def case_view_audit(*, actor: User, case: Case, purpose: str = "") -> None:
    """Record that a user opened a case, with the purpose their access rests on."""
    if not purpose:
        purpose = _access(actor, case).purpose
    audit_record(
        actor=actor,
        action="case.view",
        object_type="case",
        object_ref=case.reference,
        purpose=purpose,
    )


# --- access requests and hand-overs ------------------------------------------------------


def access_request_create(
    *, actor: User, reference: str, purpose: str, reason: str
) -> AccessRequest | None:
    """Ask the owner of a case for access. Whether the case exists is not revealed:
    an unknown reference gives the same answer and records nothing but the attempt."""
    if actor.role not in (Role.CASE_MANAGER, Role.COORDINATOR) or actor.agency_id is None:
        raise Forbidden(_("Your role may not ask for access to cases."))
    if purpose not in policy.GRANTABLE_PURPOSES:
        raise ValidationFailed(
            _("Choose the purpose of the access from the list."), field="purpose"
        )
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationFailed(_("Say in a sentence why you need the case."), field="reason")
    if len(reason) > 1000:
        raise ValidationFailed(_("Keep it under 1,000 characters."), field="reason")
    case = Case.objects.filter(reference=reference.strip().upper()).first()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="access.request",
            object_type="case",
            object_ref=reference.strip()[:32],
            purpose=purpose,
            detail={"known": case is not None},
        )
        if case is None or case.owning_agency_id == actor.agency_id:
            return None
        request = AccessRequest.objects.create(
            case=case,
            agency_id=actor.agency_id,
            requested_by=actor,
            purpose=purpose,
            reason=reason,
            requested_at=timezone.now(),
        )
        _event(case, actor, "access_requested", reason=str(AccessPurpose(purpose).label))
        notify_agency_about(
            case.owning_agency,
            kind="access_requested",
            case=case,
            object_id=request.pk,
            dedupe=f"access_requested:{request.pk}",
            params={"purpose": purpose},
        )
    return request


def access_request_decide(
    *, actor: User, request: AccessRequest, approve: bool, answer: str = "", days: int = 30
) -> AccessRequest:
    case = request.case
    access = _access(actor, case)
    _require_action(access, "share", _("Your access to this case does not let you share it."))
    if request.status != AccessRequest.Status.PENDING:
        raise Conflict(_("This request was already answered."))
    if not approve and len(answer.strip()) < 3:
        raise ValidationFailed(_("Give the reason for refusing."), field="answer")
    with transaction.atomic():
        grant = None
        if approve:
            grant = grant_create(
                actor=actor,
                case=case,
                agency=request.agency,
                purpose=request.purpose,
                expires_at=timezone.now() + timedelta(days=max(1, min(days, 365))),
                note=answer,
            )
        AccessRequest.objects.filter(pk=request.pk).update(
            status=AccessRequest.Status.APPROVED if approve else AccessRequest.Status.REFUSED,
            decided_by=actor,
            decided_at=timezone.now(),
            answer=answer.strip()[:1000],
            grant=grant,
        )
        request.refresh_from_db()
        _event(case, actor, "access_approved" if approve else "access_refused")
        audit_record(
            actor=actor,
            action="access.decide",
            object_type="case",
            object_ref=case.reference,
            purpose=request.purpose,
            detail={"request_id": request.pk, "approved": approve},
        )
        notify_users_about(
            [request.requested_by],
            kind="access_answered",
            case=case,
            object_id=request.pk,
            dedupe=f"access_answered:{request.pk}",
            params={"decision": "approved" if approve else "refused"},
        )
    return request


def handover_request(*, actor: User, case: Case, to_agency: Agency, reason: str) -> Handover:
    """The owner asks another agency to take the case over (ownership transfer)."""
    access = _access(actor, case)
    _require_action(
        access, "handover", _("Your access to this case does not let you hand it over.")
    )
    if not access.owner:
        raise _refuse(access, "handover", _("Only the agency that owns the case can hand it over."))
    if to_agency.pk == case.owning_agency_id:
        raise ValidationFailed(_("Choose another agency."), field="to_agency")
    if case.state in TERMINAL_STATES:
        raise InvalidTransition(_("A closed or withdrawn case cannot be handed over."))
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationFailed(_("Say in a sentence why the case is handed over."), field="reason")
    if len(reason) > 1000:
        raise ValidationFailed(_("Keep it under 1,000 characters."), field="reason")
    if case.handovers.filter(status=Handover.Status.PENDING).exists():
        raise Conflict(_("A hand-over of this case is already waiting for an answer."))
    with transaction.atomic():
        handover = Handover.objects.create(
            case=case,
            from_agency=case.owning_agency,
            to_agency=to_agency,
            requested_by=actor,
            reason=reason,
            requested_at=timezone.now(),
        )
        _event(case, actor, "handover_requested", reason=to_agency.name)
        audit_record(
            actor=actor,
            action="handover.request",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose,
            detail={"handover_id": handover.pk, "to_agency_id": to_agency.pk},
        )
        notify_agency_about(
            to_agency,
            kind="handover_requested",
            case=case,
            object_id=handover.pk,
            dedupe=f"handover_requested:{handover.pk}",
        )
    return handover


def handover_decide(*, actor: User, handover: Handover, accept: bool, answer: str = "") -> Handover:
    """The receiving agency accepts (it becomes the owner) or refuses, with a reason."""
    if actor.agency_id != handover.to_agency_id or actor.role not in (
        Role.CASE_MANAGER,
        Role.COORDINATOR,
    ):
        raise NotFound(_("No such hand-over request."))
    if handover.status != Handover.Status.PENDING:
        raise Conflict(_("This hand-over was already answered."))
    if not accept and len(answer.strip()) < 3:
        raise ValidationFailed(_("Give the reason for refusing."), field="answer")
    case = handover.case
    now = timezone.now()
    with transaction.atomic():
        Handover.objects.filter(pk=handover.pk).update(
            status=Handover.Status.ACCEPTED if accept else Handover.Status.REFUSED,
            decided_by=actor,
            decided_at=now,
            answer=answer.strip()[:1000],
        )
        handover.refresh_from_db()
        if accept:
            Case.objects.filter(pk=case.pk).update(
                owning_agency_id=handover.to_agency_id, version=F("version") + 1, updated_at=now
            )
            case.refresh_from_db()
        _event(case, actor, "handover_accepted" if accept else "handover_refused")
        audit_record(
            actor=actor,
            action="handover.decide",
            object_type="case",
            object_ref=case.reference,
            detail={"handover_id": handover.pk, "accepted": accept},
        )
        notify_users_about(
            [handover.requested_by],
            kind="handover_answered",
            case=case,
            object_id=handover.pk,
            dedupe=f"handover_answered:{handover.pk}",
            params={"decision": "accepted" if accept else "declined"},
        )
    return handover


# --- notifications (the notifications app, when installed) ------------------------------


def notify_users_about(
    users: list[User],
    *,
    kind: str,
    case: Case,
    object_id: int | None,
    dedupe: str,
    params: dict[str, Any] | None = None,
) -> None:
    if not apps.is_installed("opennrm.notifications"):
        return
    from opennrm.notifications.services import notify

    notify(
        recipients=users,
        kind=kind,
        case_reference=case.reference,
        object_id=object_id,
        dedupe_key=dedupe,
        params=params,
    )


def notify_agency_about(
    agency: Agency,
    *,
    kind: str,
    case: Case,
    object_id: int | None,
    dedupe: str,
    params: dict[str, Any] | None = None,
) -> None:
    if not apps.is_installed("opennrm.notifications"):
        return
    from opennrm.notifications.services import notify_agency

    notify_agency(
        agency=agency,
        kind=kind,
        case_reference=case.reference,
        object_id=object_id,
        dedupe_key=dedupe,
        params=params,
    )
