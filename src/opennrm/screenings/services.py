"""Screening writes: start a draft, save answers, complete with the explained outcome,
and turn the outcome into a case in the right workflow state with its referral."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import CREATE_CASE_ROLES
from opennrm.audit.services import audit_record
from opennrm.cases.models import AccessPurpose, Case, ConsentKind, ExploitationType
from opennrm.cases.policy import PERSON_FIELDS
from opennrm.cases.services import case_create, case_transition, case_update, consent_record
from opennrm.cases.workflow import State
from opennrm.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from opennrm.screening import (
    LANGS,
    InterviewState,
    Outcome,
    ScreeningInputError,
    ScreeningResult,
    evaluate,
    interview_state,
    load_catalogue,
)
from opennrm.screenings.models import Screening, ScreeningMode, ScreeningStatus

_CASE_OUTCOME = {
    Outcome.PRESUMED_VICTIM: "presumed_victim",
    Outcome.POSSIBLE_VICTIM: "possible_victim",
    Outcome.NO_INDICATORS: "no_indicators",
}


def _invalid(exc: ScreeningInputError) -> ValidationFailed:
    first = exc.errors[0]
    return ValidationFailed(
        f"{first.field}: {first.message}", field=first.field, details=exc.to_list()
    )


def _require_screener(actor: User) -> None:
    if actor.role not in CREATE_CASE_ROLES or actor.agency_id is None:
        raise Forbidden(_("Your role may not run screenings."))


def _evaluate(set_id: str, age: int | None, answers: Mapping[str, str]) -> ScreeningResult:
    try:
        return evaluate(load_catalogue(), set_id=set_id, age=age, answers=answers)
    except ScreeningInputError as exc:
        raise _invalid(exc) from exc


@transaction.atomic
def screening_start(
    *,
    actor: User,
    set_id: str,
    age: int | None,
    interviewee_language: str = "",
    mode: str = ScreeningMode.FULL,
) -> Screening:
    _require_screener(actor)
    if mode not in ScreeningMode.values:
        raise ValidationFailed(_("Choose the short or the full interview."), field="mode")
    if interviewee_language and interviewee_language not in LANGS:
        raise ValidationFailed(_("Unsupported language."), field="interviewee_language")
    _evaluate(set_id, age, {})  # validates the set and the age against it
    screening = Screening.objects.create(
        created_by=actor,
        agency_id=actor.agency_id,
        set_id=set_id,
        age=age,
        interviewee_language=interviewee_language,
        catalogue_version=load_catalogue().version,
        mode=mode,
    )
    audit_record(
        actor=actor,
        action="screening.start",
        object_type="screening",
        object_ref=str(screening.public_id),
    )
    return screening


@transaction.atomic
def screening_save_answers(
    *, actor: User, screening: Screening, answers: Mapping[str, str], expected_version: int
) -> Screening:
    """Merge answers into a draft. Values: yes / no / unknown; "" removes an answer."""
    if screening.created_by_id != actor.pk:
        raise Forbidden(_("Only the person who started this screening can change it."))
    if screening.status != ScreeningStatus.DRAFT:
        raise InvalidTransition(
            _("This screening is completed; start a new one to change answers.")
        )
    merged = dict(screening.answers)
    for key, value in answers.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    _evaluate(screening.set_id, screening.age, merged)  # rejects unknown ids and values
    updated = Screening.objects.filter(pk=screening.pk, version=expected_version).update(
        answers=merged, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise Conflict(
            _("These answers were saved from another window in the meantime. Reload the page.")
        )
    screening.refresh_from_db()
    audit_record(
        actor=actor,
        action="screening.answer",
        object_type="screening",
        object_ref=str(screening.public_id),
        detail={"answered": len(merged)},
    )
    return screening


def _store_result(screening: Screening, result: ScreeningResult) -> None:
    state = interview_state(
        load_catalogue(), set_id=result.set_id, age=result.age, answers=screening.answers
    )
    screening.status = ScreeningStatus.COMPLETED
    screening.outcome = str(result.outcome)
    # "settled": no answer to the questions not asked could have changed the outcome
    screening.result = result.to_dict() | {
        "settled": state.outcome_settled,
        "forced_criminality_settled": state.forced_criminality_settled,
        "mode": screening.mode,
    }
    screening.forced_criminality = result.forced_criminality
    screening.catalogue_version = result.catalogue_version


@transaction.atomic
def screening_complete(*, actor: User, screening: Screening) -> Screening:
    if screening.created_by_id != actor.pk:
        raise Forbidden(_("Only the person who started this screening can complete it."))
    if screening.status == ScreeningStatus.COMPLETED:
        return screening
    _store_result(screening, _evaluate(screening.set_id, screening.age, screening.answers))
    screening.version += 1
    screening.save(
        update_fields=[
            "status",
            "outcome",
            "result",
            "forced_criminality",
            "catalogue_version",
            "version",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="screening.complete",
        object_type="screening",
        object_ref=str(screening.public_id),
        detail={"outcome": screening.outcome, "settled": screening.result["settled"]},
    )
    return screening


def screening_state(screening: Screening) -> InterviewState:
    """Where a draft stands: outcome range, settled or not, the next question."""
    try:
        return interview_state(
            load_catalogue(screening.catalogue_version),
            set_id=screening.set_id,
            age=screening.age,
            answers=screening.answers,
        )
    except ScreeningInputError as exc:
        raise _invalid(exc) from exc


def screening_interview(
    *, actor: User, set_id: str, age: int | None, answers: Mapping[str, str]
) -> InterviewState:
    """The adaptive interview for answers held by the client (nothing is stored, so nothing
    is audited): the next question and whether the outcome can still change."""
    _require_screener(actor)
    try:
        return interview_state(load_catalogue(), set_id=set_id, age=age, answers=answers)
    except ScreeningInputError as exc:
        raise _invalid(exc) from exc


@transaction.atomic
def screening_record(
    *,
    actor: User,
    set_id: str,
    age: int | None,
    answers: Mapping[str, str],
    case: Case | None = None,
    interviewee_language: str = "",
) -> Screening:
    """One-shot: evaluate complete answers and store the result (API)."""
    _require_screener(actor)
    result = _evaluate(set_id, age, answers)
    screening = Screening(
        created_by=actor,
        agency_id=actor.agency_id,
        set_id=result.set_id,
        age=age,
        answers=dict(answers),
        interviewee_language=interviewee_language,
    )
    _store_result(screening, result)
    screening.save()
    audit_record(
        actor=actor,
        action="screening.complete",
        object_type="screening",
        object_ref=str(screening.public_id),
        detail={"outcome": screening.outcome},
    )
    if case is not None:
        screening_attach(actor=actor, screening=screening, case=case)
    return screening


def _forced_criminality_note(screening: Screening) -> str:
    catalogue = load_catalogue(screening.catalogue_version)
    labels = [
        catalogue.indicator(i).label.get("en")
        for i in screening.result.get("forced_criminality_indicators", [])
    ]
    return _("Screening %(id)s found indicators of compelled offending: %(list)s") % {
        "id": str(screening.public_id)[:8],
        "list": "; ".join(labels) or "—",
    }


def _exploitation_for(set_id: str) -> str:
    return ExploitationType.SEXUAL if set_id.endswith("sexual") else ExploitationType.LABOUR


@transaction.atomic
def screening_attach(*, actor: User, screening: Screening, case: Case) -> Case:
    """Store a completed screening with a case: a flagged case becomes screened, and
    forced-criminality indicators set the case's non-punishment flag."""
    if screening.status != ScreeningStatus.COMPLETED:
        raise InvalidTransition(_("Finish the screening first."))
    if screening.case_id is not None and screening.case_id != case.pk:
        raise Conflict(_("This screening already belongs to another case."))
    Screening.objects.filter(pk=screening.pk).update(case=case)
    screening.case = case
    outcome = Outcome(screening.outcome)
    if case.state == State.FLAGGED and outcome in _CASE_OUTCOME:
        case_transition(
            actor=actor,
            case=case,
            name="screen",
            expected_version=case.version,
            screening_outcome=_CASE_OUTCOME[outcome],
        )
    if screening.forced_criminality and not case.forced_criminality:
        case_update(
            actor=actor,
            case=case,
            expected_version=case.version,
            changes={
                "forced_criminality": True,
                "forced_criminality_note": _forced_criminality_note(screening),
            },
        )
    audit_record(
        actor=actor,
        action="screening.attach",
        object_type="case",
        object_ref=case.reference,
        detail={"screening": str(screening.public_id), "outcome": screening.outcome},
    )
    return case


@transaction.atomic
def screening_open_case(
    *,
    actor: User,
    screening: Screening,
    referral_agency: Agency | None,
    region: str = "",
    referral_reason: str = "",
    consent: dict[str, str] | None = None,
) -> Case:
    """The one action after a screening: open the case in the right state and start the
    referral. ``consent`` (method, interpreter_language, guardian) records the person's
    agreement that the chosen agency receives the case; without it an adult's case is
    opened but not referred (nothing is written when the referral is refused)."""
    if screening.created_by_id != actor.pk:
        raise Forbidden(_("Only the person who ran this screening can open a case from it."))
    if screening.status != ScreeningStatus.COMPLETED:
        raise InvalidTransition(_("Finish the screening first."))
    if screening.case_id is not None:
        raise Conflict(_("A case was already opened from this screening."))
    outcome = Outcome(screening.outcome)
    if outcome not in _CASE_OUTCOME:
        raise InvalidTransition(
            _(
                "The screening is incomplete: ask the open questions (or record them as unknown) first."
            )
        )
    case = case_create(
        actor=actor,
        exploitation_type=_exploitation_for(screening.set_id),
        region=region,
        is_child=bool(screening.result.get("child")),
        summary="",
    )
    screening_attach(actor=actor, screening=screening, case=case)
    if referral_agency is not None:
        reason = referral_reason.strip() or _("Screening outcome: %(outcome)s.") % {
            "outcome": screening.outcome
        }
        if consent is not None:
            consent_record(
                actor=actor,
                case=case,
                kind=ConsentKind.SHARING,
                purpose=AccessPurpose.NRM_REFERRAL,
                recipient_agency=referral_agency,
                fields=PERSON_FIELDS,
                obtained_on=timezone.localdate(),
                method=consent.get("method", "in_person"),
                interpreter_language=consent.get("interpreter_language", ""),
                guardian=consent.get("guardian", ""),
            )
        case_transition(
            actor=actor,
            case=case,
            name="refer",
            expected_version=case.version,
            reason=reason,
            referral_agency=referral_agency,
        )
    return case


def explanation_lines(screening: Screening, lang: str) -> list[str]:
    explanation: dict[str, Any] = screening.result.get("explanation", {})
    return list(explanation.get(lang) or explanation.get("en") or [])


def screening_view_audit(*, actor: User, screening: Screening) -> None:
    """Record that a user read a screening (answers and age are personal data)."""
    audit_record(
        actor=actor,
        action="screening.view",
        object_type="screening",
        object_ref=str(screening.public_id),
        detail={"case": screening.case.reference if screening.case_id else None},
    )
