"""Writes on referrals. Each takes the acting user, decides through the case's one access
helper (sender side) or the referral's receiving agency (receiver side), writes the
audit entry in the same transaction, and tells the other side."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import Role
from opennrm.audit.services import audit_record
from opennrm.cases.models import Case, CaseEvent, Consent, ConsentKind, Person
from opennrm.cases.policy import AccessPurpose
from opennrm.cases.selectors import access_refused_audit, case_access_for
from opennrm.cases.services import (
    consent_or_basis,
    grant_end,
    grant_insert,
    grant_set_expiry,
    notify_agency_about,
    notify_users_about,
)
from opennrm.cases.workflow import TERMINAL_STATES
from opennrm.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from opennrm.referrals import hooks
from opennrm.referrals.models import (
    AWAITING_ANSWER,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Referral,
    ReferralChange,
    ReferralStatus,
)

NOTE_MAX = 2000
REASON_MAX = 2000

#: the sharing profile a referral to each type of service rests on
PURPOSE_FOR_SERVICE = {
    "shelter": AccessPurpose.SHELTER,
    "medical": AccessPurpose.MEDICAL,
    "psychological": AccessPurpose.MEDICAL,
    "legal_aid": AccessPurpose.LEGAL_AID,
    "interpretation": AccessPurpose.INTERPRETATION,
    "child_protection": AccessPurpose.CHILD_PROTECTION,
    "return_reintegration": AccessPurpose.RETURN,
    "employment": AccessPurpose.SOCIAL_SUPPORT,
}

_RECEIVER_ROLES = frozenset({Role.SERVICE_PROVIDER, Role.CASE_MANAGER, Role.COORDINATOR})


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    sources: frozenset[str]
    target: str
    side: str  # "receiver" or "sender"
    needs_reason: bool = False


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "acknowledge",
            gettext_lazy("Acknowledge receipt"),
            frozenset({ReferralStatus.SENT}),
            ReferralStatus.ACKNOWLEDGED,
            "receiver",
        ),
        Action(
            "accept",
            gettext_lazy("Accept"),
            frozenset(AWAITING_ANSWER),
            ReferralStatus.ACCEPTED,
            "receiver",
        ),
        Action(
            "decline",
            gettext_lazy("Decline"),
            frozenset(AWAITING_ANSWER),
            ReferralStatus.DECLINED,
            "receiver",
            needs_reason=True,
        ),
        Action(
            "start",
            gettext_lazy("Start the service"),
            frozenset({ReferralStatus.ACCEPTED}),
            ReferralStatus.IN_PROGRESS,
            "receiver",
        ),
        Action(
            "complete",
            gettext_lazy("Service completed"),
            frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS}),
            ReferralStatus.COMPLETED,
            "receiver",
        ),
        Action(
            "withdraw",
            gettext_lazy("Withdraw the referral"),
            frozenset({ReferralStatus.DRAFT} | OPEN_STATUSES),
            ReferralStatus.WITHDRAWN,
            "sender",
            needs_reason=True,
        ),
    )
}


def response_hours(service_type: str) -> int:
    hours = settings.OPENNRM_REFERRAL_RESPONSE_HOURS
    return int(hours.get(service_type, hours.get("default", 72)))


def _age(person: Person | None, today: Any) -> int | None:
    if person is None or person.date_of_birth is None:
        return None
    born = person.date_of_birth
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def person_needs_profile(case: Case) -> dict[str, Any]:
    """What ranking and eligibility read from the person (never shown by this function)."""
    person = Person.objects.filter(case=case).first()
    languages = (person.languages if person else "").replace(";", ",").split(",")
    return {
        "language": (languages[0].strip().lower()[:2] or None) if languages else None,
        "gender": (person.gender if person else "") or None,
        "age": _age(person, timezone.localdate()) if person else (15 if case.is_child else None),
        "region": case.region or None,
        "nationality": (person.citizenship if person else "") or None,
    }


def _sender_access(actor: User, case: Case) -> Any:
    access = case_access_for(actor, case.reference)
    if not access.may("refer"):
        access_refused_audit(actor, reference=case.reference, what="refer", purpose=access.purpose)
        raise Forbidden(_("Your access to this case does not let you refer it to a service."))
    return access


def _change(
    referral: Referral,
    actor: User,
    old: str,
    new: str,
    reason: str = "",
    at: datetime | None = None,
) -> None:
    at = at or timezone.now()
    ReferralChange.objects.create(
        referral=referral,
        from_status=old,
        to_status=new,
        actor=actor,
        actor_agency_id=actor.agency_id,
        at=at,
        reason=reason,
    )
    CaseEvent.objects.create(
        case=referral.case,
        kind="referral",
        actor=actor,
        actor_agency_id=actor.agency_id,
        at=at,
        reason=f"{referral.service_name}: {new}",  # the status as a code: words when read
    )


def event_reason_text(stored: str) -> str:
    """A referral's timeline entry ("service: status") in the reader's language (older
    entries stored the status as a word in the writer's language: shown as written)."""
    service, sep, status = stored.rpartition(": ")
    if sep and status in ReferralStatus.values:
        return f"{service}: {ReferralStatus(status).label}"
    return stored


def _after_commit(referral: Referral, old: str, new: str) -> None:
    def run() -> None:
        for listener in hooks.status_listeners:
            listener(referral, old, new)

    transaction.on_commit(run)


def referral_create(
    *,
    actor: User,
    case: Case,
    service: Any,
    needs: Iterable[str] = (),
    note: str = "",
    legal_basis: str = "",
    legal_basis_note: str = "",
    send: bool = True,
    now: datetime | None = None,
) -> Referral:
    """Refer the person of ``case`` to ``service``: refused for a full or ineligible
    service, without the person's consent to that service (or a legal basis), or when
    the case is closed."""
    from opennrm.directory.selectors import service_problems_for

    access = _sender_access(actor, case)
    if case.state in TERMINAL_STATES:
        raise InvalidTransition(_("A closed or withdrawn case cannot be referred."))
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            _("The note is too long: %(n)s characters, at most %(max)s.")
            % {"n": len(note), "max": NOTE_MAX},
            field="note",
        )
    if service is None or service.status != "active":
        raise ValidationFailed(_("This service does not take referrals now."), field="service")
    receiving = service.organization.agency
    if receiving is None:
        raise ValidationFailed(
            _("This service does not receive referrals in OpenNRM: contact it directly."),
            field="service",
        )
    profile = person_needs_profile(case)
    problems = service_problems_for(
        service, gender=profile["gender"], age=profile["age"], nationality=profile["nationality"]
    )
    if problems:
        raise ValidationFailed(
            _("This service cannot take the person: %(problems)s")
            % {"problems": "; ".join(problems)},
            field="service",
        )
    purpose = PURPOSE_FOR_SERVICE.get(service.service_type, AccessPurpose.SOCIAL_SUPPORT)
    consent, legal_basis = consent_or_basis(
        actor=actor,
        case=case,
        kind=ConsentKind.REFERRAL,
        service_ref=str(service.pk),
        purpose=purpose,
        legal_basis=legal_basis,
        legal_basis_note=legal_basis_note,
    )
    now = now or timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            case=case,
            service=service,
            service_name=service.name[:300],
            service_type=service.service_type,
            sending_agency_id=actor.agency_id,
            receiving_agency=receiving,
            created_by=actor,
            purpose=purpose,
            consent=consent,
            legal_basis=legal_basis,
            legal_basis_note=legal_basis_note.strip()[:1000] if legal_basis else "",
            needs=sorted(set(needs) | {service.service_type}),
            note=note,
            created_at=now,
        )
        _change(referral, actor, "", ReferralStatus.DRAFT, at=now)
        audit_record(
            actor=actor,
            action="referral.create",
            object_type="case",
            object_ref=case.reference,
            purpose=access.purpose,
            detail={
                "referral_id": referral.pk,
                "service_id": str(service.pk),
                "consent_id": consent.pk if consent else None,
                "legal_basis": legal_basis,
            },
        )
        if send:
            referral = _send(actor=actor, referral=referral, now=now)
    return referral


def referral_send(*, actor: User, referral: Referral, expected_version: int) -> Referral:
    _sender_access(actor, referral.case)
    if referral.status != ReferralStatus.DRAFT:
        raise InvalidTransition(_("Only a draft referral can be sent."))
    if referral.version != expected_version:
        raise _stale()
    with transaction.atomic():
        return _send(actor=actor, referral=referral, now=timezone.now())


def _send(*, actor: User, referral: Referral, now: datetime) -> Referral:
    due = now + timedelta(hours=response_hours(referral.service_type))
    grant = grant_insert(
        actor=actor,
        case=referral.case,
        agency=referral.receiving_agency,
        purpose=referral.purpose,
        expires_at=due,
        consent=referral.consent,
        legal_basis=referral.legal_basis,
        legal_basis_note=referral.legal_basis_note,
        note=_("Referral to %(service)s") % {"service": referral.service_name},
    )
    _set_status(referral, ReferralStatus.SENT, grant=grant, response_due=due, sent_at=now)
    _change(referral, actor, ReferralStatus.DRAFT, ReferralStatus.SENT, at=now)
    audit_record(
        actor=actor,
        action="referral.send",
        object_type="case",
        object_ref=referral.case.reference,
        purpose=referral.purpose,
        detail={"referral_id": referral.pk, "grant_id": grant.pk},
    )
    notify_agency_about(
        referral.receiving_agency,
        kind="referral_new",
        case=referral.case,
        object_id=referral.pk,
        dedupe=f"referral_new:{referral.pk}",
    )
    _after_commit(referral, ReferralStatus.DRAFT, ReferralStatus.SENT)
    return referral


def _stale() -> Conflict:
    return Conflict(
        _(
            "This referral was changed by someone else after you opened it. "
            "Reload it to see the current status, then act again."
        )
    )


def _set_status(referral: Referral, status: str, **changes: Any) -> None:
    updated = Referral.objects.filter(pk=referral.pk, version=referral.version).update(
        status=status, version=F("version") + 1, **changes
    )
    if not updated:
        raise _stale()
    referral.refresh_from_db()


def referral_may_act(actor: User, referral: Referral, action: Action) -> bool:
    """Whether ``actor`` is on the side of the referral that takes ``action``."""
    if action.side == "receiver":
        return actor.agency_id == referral.receiving_agency_id and actor.role in _RECEIVER_ROLES
    if actor.agency_id != referral.sending_agency_id:
        return False
    try:
        return case_access_for(actor, referral.case.reference, audit_refusal=False).may("refer")
    except NotFound:
        return False


def referral_actions_for(actor: User, referral: Referral) -> list[Action]:
    return [
        a
        for a in ACTIONS.values()
        if referral.status in a.sources and referral_may_act(actor, referral, a)
    ]


def referral_transition(
    *,
    actor: User,
    referral: Referral,
    action: str,
    expected_version: int,
    reason: str = "",
    now: datetime | None = None,
) -> Referral:
    """One step of the referral's life; every change goes back to the other side and into
    the case timeline. The receiving agency's view of the case follows the status."""
    step = ACTIONS.get(action)
    if step is None:
        raise ValidationFailed(_("Unknown action."), field="action")
    if not referral_may_act(actor, referral, step):
        access_refused_audit(actor, reference=referral.case.reference, what=f"referral:{action}")
        raise Forbidden(_("You may not do this on this referral."))
    if referral.status not in step.sources:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the referral is “%(status)s”.")
            % {"action": step.label, "status": ReferralStatus(referral.status).label},
            field="action",
        )
    reason = reason.strip()
    if step.needs_reason and not reason:
        raise ValidationFailed(_("Give the reason."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("The text is too long: %(n)s characters, at most %(max)s.")
            % {"n": len(reason), "max": REASON_MAX},
            field="reason",
        )
    if referral.version != expected_version:
        raise _stale()
    now = now or timezone.now()
    old = referral.status
    with transaction.atomic():
        changes: dict[str, Any] = {}
        if step.target == ReferralStatus.DECLINED:
            changes["decline_reason"] = reason
        if step.target in CLOSED_STATUSES:
            changes["closed_at"] = now
        _set_status(referral, step.target, **changes)
        _follow_access(actor, referral, now)
        _change(referral, actor, old, step.target, reason=reason, at=now)
        audit_record(
            actor=actor,
            action=f"referral.{action}",
            object_type="case",
            object_ref=referral.case.reference,
            purpose=referral.purpose,
            detail={"referral_id": referral.pk, "from": old, "to": step.target},
        )
        _tell_other_side(actor, referral, step.side)
        _after_commit(referral, old, step.target)
    return referral


def _follow_access(actor: User, referral: Referral, now: datetime) -> None:
    """Open: the recipient sees the profile's fields until the answer is due, for the
    length of the service once accepted; closed: nothing after (completed: plus the
    configured tail, to finish the paperwork)."""
    grant = referral.grant
    if grant is None or grant.revoked_at is not None:
        return
    status = referral.status
    if status == ReferralStatus.ACCEPTED:
        until = now + timedelta(days=settings.OPENNRM_GRANT_MAX_DAYS)
        if referral.consent is not None and referral.consent.expires_on is not None:
            until = min(
                until,
                timezone.make_aware(
                    datetime.combine(
                        referral.consent.expires_on + timedelta(days=1), datetime.min.time()
                    )
                ),
            )
        grant_set_expiry(actor=actor, grant=grant, expires_at=until, why="referral.accepted")
    elif status == ReferralStatus.COMPLETED and settings.OPENNRM_REFERRAL_ACCESS_TAIL_DAYS > 0:
        tail = now + timedelta(days=settings.OPENNRM_REFERRAL_ACCESS_TAIL_DAYS)
        grant_set_expiry(
            actor=actor,
            grant=grant,
            expires_at=min(grant.expires_at, tail),
            why="referral.completed",
        )
    elif status in CLOSED_STATUSES:
        grant_end(actor=actor, grant=grant, now=now, why=f"referral.{status}")


def _tell_other_side(actor: User, referral: Referral, side: str) -> None:
    if side == "receiver":  # outcome feedback to the referrer
        recipients = [referral.created_by]
        notify_users_about(
            recipients,
            kind="referral_answered",
            case=referral.case,
            object_id=referral.pk,
            dedupe=f"referral_answered:{referral.pk}:{referral.status}",
            params={"status": referral.status},
        )
    else:
        notify_agency_about(
            referral.receiving_agency,
            kind="referral_answered",
            case=referral.case,
            object_id=referral.pk,
            dedupe=f"referral_answered:{referral.pk}:{referral.status}",
            params={"status": referral.status},
        )


def referrals_end_for_consent(consent: Consent) -> None:
    """A withdrawn consent ends the referrals resting on it (their grants already ended)."""
    actor = consent.withdrawn_by
    if actor is None:
        return
    now = consent.withdrawn_at or timezone.now()
    for referral in Referral.objects.filter(
        consent=consent, status__in=set(OPEN_STATUSES) | {ReferralStatus.DRAFT}
    ).select_related("case"):
        old = referral.status
        _set_status(referral, ReferralStatus.WITHDRAWN, closed_at=now)
        reason = _("The person withdrew consent.")
        _change(referral, actor, old, ReferralStatus.WITHDRAWN, reason=reason, at=now)
        audit_record(
            actor=actor,
            action="referral.withdraw",
            object_type="case",
            object_ref=referral.case.reference,
            purpose=referral.purpose,
            detail={"referral_id": referral.pk, "why": "consent_withdrawn"},
        )
        _after_commit(referral, old, ReferralStatus.WITHDRAWN)


def referral_expire_due(*, now: datetime | None = None) -> int:
    """Referrals unanswered past their deadline expire; the referrer is told. Idempotent."""
    from opennrm.audit.services import audit_record as record

    now = now or timezone.now()
    due = Referral.objects.filter(status__in=AWAITING_ANSWER, response_due__lt=now).select_related(
        "case", "grant", "created_by"
    )
    count = 0
    for referral in due:
        with transaction.atomic():
            old = referral.status
            try:
                _set_status(referral, ReferralStatus.EXPIRED, closed_at=now)
            except Conflict:
                continue
            if referral.grant is not None and referral.grant.revoked_at is None:
                grant_end(
                    actor=referral.created_by, grant=referral.grant, now=now, why="referral.expired"
                )
            _change(referral, referral.created_by, old, ReferralStatus.EXPIRED, at=now)
            record(
                actor=None,
                action="referral.expire",
                object_type="case",
                object_ref=referral.case.reference,
                purpose=referral.purpose,
                detail={"referral_id": referral.pk},
            )
            notify_users_about(
                [referral.created_by],
                kind="referral_overdue",
                case=referral.case,
                object_id=referral.pk,
                dedupe=f"referral_expired:{referral.pk}",
                params={"due": timezone.localdate(referral.response_due).isoformat()}
                if referral.response_due
                else None,
            )
            _after_commit(referral, old, ReferralStatus.EXPIRED)
            count += 1
    return count


def referral_links(user: User, ids: Iterable[int]) -> dict[int, str]:
    """Where a notification about a referral leads: its page, for a user of the sending or
    the receiving agency (the page itself re-checks the sender's access to the case)."""
    from django.urls import reverse

    if user.agency_id is None:
        return {}
    mine = Referral.objects.filter(pk__in=list(ids)).filter(
        Q(receiving_agency_id=user.agency_id) | Q(sending_agency_id=user.agency_id)
    )
    return {pk: reverse("referrals:detail", args=[pk]) for pk in mine.values_list("pk", flat=True)}


def referral_reminders(now: datetime) -> Iterable[Any]:
    """Reminder source for ``opennrm notify``: answers due within 4 hours go to the
    receiving agency; overdue ones expire (and the referrer is told)."""
    from opennrm.notifications.reminders import Reminder

    referral_expire_due(now=now)
    soon = Referral.objects.filter(
        status__in=AWAITING_ANSWER, response_due__gte=now, response_due__lt=now + timedelta(hours=4)
    ).select_related("case", "receiving_agency")
    for referral in soon:
        yield Reminder(
            kind="referral_response_due",
            agency=referral.receiving_agency,
            case_reference=referral.case.reference,
            object_id=referral.pk,
            dedupe_key=f"referral_response_due:{referral.pk}",
            params={"due": timezone.localdate(referral.response_due).isoformat()},
        )


def referral_create_incoming(
    *,
    actor: User,
    case: Case,
    receiving_agency: Agency,
    purpose: str,
    response_due: datetime,
    external_ref: str,
    note: str = "",
    service_name: str = "",
    service_type: str = "",
) -> Referral:
    """A referral that arrived from a partner deployment (transnational package): the case
    was created here, owned by ``receiving_agency``; it waits for that agency's answer."""
    if purpose not in AccessPurpose.values:
        raise ValidationFailed(
            _("Choose the purpose of the access from the list."), field="purpose"
        )
    now = timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            case=case,
            service=None,
            service_name=(service_name or _("Transnational referral"))[:300],
            service_type=service_type[:32],
            sending_agency=receiving_agency,
            receiving_agency=receiving_agency,
            created_by=actor,
            purpose=purpose,
            status=ReferralStatus.SENT,
            note=note.strip()[:NOTE_MAX],
            response_due=response_due,
            external_ref=external_ref[:100],
            created_at=now,
            sent_at=now,
        )
        _change(referral, actor, "", ReferralStatus.SENT, at=now)
        audit_record(
            actor=actor,
            action="referral.receive",
            object_type="case",
            object_ref=case.reference,
            purpose=purpose,
            detail={"referral_id": referral.pk, "external_ref": external_ref[:100]},
        )
        notify_agency_about(
            receiving_agency,
            kind="referral_new",
            case=case,
            object_id=referral.pk,
            dedupe=f"referral_new:{referral.pk}",
        )
    return referral
