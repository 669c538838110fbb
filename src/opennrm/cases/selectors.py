"""Reads of cases. Every read that needs permission goes through ``case_get_for``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import CASE_ROLES
from opennrm.cases import policy
from opennrm.cases.models import (
    AccessRequest,
    Case,
    CaseEvent,
    CaseGrant,
    Consent,
    Handover,
    Person,
)
from opennrm.cases.workflow import OPEN_STATES, TRANSITIONS, Transition, transitions_from
from opennrm.core.errors import NotFound


def _active_grants(now: datetime) -> QuerySet[CaseGrant]:
    return CaseGrant.objects.filter(
        case_id=OuterRef("pk"), revoked_at__isnull=True, expires_at__gt=now
    )


def cases_visible_to(actor: User, *, now: datetime | None = None) -> QuerySet[Case]:
    """Deny by default: the owning agency's cases plus those granted and not expired."""
    if not actor.is_active or actor.role not in CASE_ROLES or actor.agency_id is None:
        return Case.objects.none()
    now = now or timezone.now()
    grants = _active_grants(now)
    # Two EXISTS rather than one with an OR inside: each is an index-only scan of a
    # partial covering index (grant_agency_active_idx, grant_user_active_idx).
    return Case.objects.filter(
        Q(owning_agency_id=actor.agency_id)
        | Exists(grants.filter(agency_id=actor.agency_id))
        | Exists(grants.filter(user_id=actor.pk))
    )


@dataclass(frozen=True)
class CaseAccess:
    """What one user may see and do on one case, decided from data in one place:
    the user's role, the relation to the case (owner or grantee), each grant's purpose
    profile (``opennrm.cases.policy.PROFILES``) and the consent a grant rests on."""

    case: Case
    user: User
    owner: bool
    profile: policy.Profile
    grants: tuple[CaseGrant, ...]

    @property
    def purpose(self) -> str:
        """The purpose code recorded in the audit log for what this user does here."""
        return policy.AccessPurpose.CASE_WORK if self.owner else self.profile.purpose

    def sees(self, field: str) -> bool:
        return field in self.profile.case_visible

    def edits(self, field: str) -> bool:
        return policy.role_edits(self.user.role) and field in self.profile.case_editable

    def sees_person(self, field: str) -> bool:
        return field in self.profile.person_visible and not self.case.anonymous_report

    def edits_person(self, field: str) -> bool:
        return (
            policy.role_edits(self.user.role)
            and field in self.profile.person_editable
            and not self.case.anonymous_report
        )

    @property
    def person_fields(self) -> tuple[str, ...]:
        return tuple(f for f in policy.PERSON_FIELDS if self.sees_person(f))

    @property
    def person_editable_fields(self) -> tuple[str, ...]:
        return tuple(f for f in policy.PERSON_FIELDS if self.edits_person(f))

    @property
    def case_editable_fields(self) -> tuple[str, ...]:
        return tuple(f for f in policy.CASE_EDITABLE_FIELDS if self.edits(f))

    def may_step(self, transition: Transition) -> bool:
        steps = self.profile.steps
        return self.user.role in transition.roles and ("*" in steps or transition.name in steps)

    @property
    def steps(self) -> list[Transition]:
        return [t for t in transitions_from(self.case.state) if self.may_step(t)]

    def may(self, action: str) -> bool:
        return policy.role_may(self.user.role, action) and action in self.profile.actions


def _grants_for(actor: User, case_id: int, now: datetime) -> list[CaseGrant]:
    return list(
        CaseGrant.objects.filter(
            Q(agency_id=actor.agency_id) | Q(user_id=actor.pk),
            case_id=case_id,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .select_related("consent")
        .order_by("id")
    )


def _consent_scope(grant: CaseGrant, today: date) -> frozenset[str] | None:
    """The person fields a grant's consent covers; None when no consent limits it."""
    consent = grant.consent
    if consent is None:
        return None
    if consent.withdrawn_at is not None or not consent.given:
        return frozenset()
    if consent.expires_on is not None and consent.expires_on < today:
        return frozenset()
    return frozenset(consent.fields or ())


def access_refused_audit(actor: User, *, reference: str, what: str, purpose: str = "") -> None:
    """A refused attempt is recorded too, while the answer still looks like "missing"."""
    from opennrm.audit.services import access_refused

    access_refused(actor, object_type="case", ref=reference, what=what, purpose=purpose)


def case_access_for(
    actor: User, reference: str, *, now: datetime | None = None, audit_refusal: bool = True
) -> CaseAccess:
    """The one access check: the case with what ``actor`` may see and do on it.

    A case the user may not see raises the same ``NotFound`` as a missing one (and the
    attempt is audited).
    """
    now = now or timezone.now()
    case = (
        cases_visible_to(actor, now=now)
        .select_related("owning_agency")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        if audit_refusal and actor.is_authenticated:
            access_refused_audit(actor, reference=str(reference), what="case")
        raise NotFound(_("No such case, or you do not have access to it."))
    owner = case.owning_agency_id == actor.agency_id
    grants = tuple(_grants_for(actor, case.pk, now))
    today = timezone.localdate(now)
    parts: list[tuple[policy.Profile, frozenset[str] | None]] = []
    if owner:
        parts.append((policy.profile_for(policy.AccessPurpose.CASE_WORK), None))
    for grant in grants:
        if grant.purpose in policy.PROFILES:
            parts.append((policy.profile_for(grant.purpose), _consent_scope(grant, today)))
    profile = policy.merge(parts)
    if profile is None:  # pragma: no cover - visible means owner or a grant
        raise NotFound(_("No such case, or you do not have access to it."))
    return CaseAccess(case=case, user=actor, owner=owner, profile=profile, grants=grants)


def case_get_for(actor: User, reference: str, *, now: datetime | None = None) -> Case:
    """The case, if this user may see it; the same NotFound whether it is missing or hidden."""
    return case_access_for(actor, reference, now=now).case


def local_today() -> date:
    return timezone.localdate()


def case_search(
    actor: User,
    *,
    state: str | None = None,
    region: str | None = None,
    overdue: bool | None = None,
    is_child: bool | None = None,
    forced_criminality: bool | None = None,
    reference: str | None = None,
    today: date | None = None,
) -> QuerySet[Case]:
    today = today or local_today()
    now = timezone.now()

    def seen(field: str, condition: Q) -> Q:
        # a filter on a fact only matches cases whose fact this user may see: otherwise
        # the result list itself would reveal it
        return condition & _field_visible_q(actor, field, now)

    # The conditions go in with one filter() call: the same WHERE as one filter() per
    # condition, without cloning the query for each (this is on every API list request).
    conditions: list[Q] = []
    if state:
        conditions.append(Q(state=state))
    if region:
        conditions.append(seen("region", Q(region=region.strip())))
    if overdue is True:
        conditions.append(seen("deadlines", Q(deadline__lt=today)))
    elif overdue is False:
        conditions.append(seen("deadlines", Q(deadline__isnull=True) | Q(deadline__gte=today)))
    if is_child is not None:
        conditions.append(seen("is_child", Q(is_child=is_child)))
    if forced_criminality is not None:
        conditions.append(seen("forced_criminality", Q(forced_criminality=forced_criminality)))
    if reference:
        conditions.append(Q(reference__icontains=reference.strip()))
    qs = cases_visible_to(actor).select_related("owning_agency")
    if conditions:
        qs = qs.filter(*conditions)
    return qs.order_by("-created_at", "-id")


# The columns of one search-result row, in the API's order; ``owning_agency`` is the
# agency's name. Read with ``.values()``: no model instances for a list page.
CASE_ROW_FIELDS = (
    "reference",
    "state",
    "exploitation_type",
    "country",
    "region",
    "is_child",
    "forced_criminality",
    "screening_outcome",
    "owning_agency",
    "rg_due",
    "reflection_starts",
    "reflection_ends",
    "deadline",
    "deadline_kind",
    "version",
    "created_at",
    "updated_at",
)
_ROW_COLUMNS = tuple(
    "owning_agency__name" if name == "owning_agency" else name for name in CASE_ROW_FIELDS
)


def case_search_page_rows(
    actor: User, *, offset: int, limit: int, **filters: Any
) -> list[dict[str, Any]]:
    """One page of ``case_search`` as plain dicts keyed by ``CASE_ROW_FIELDS``: the page's
    ids come from the covering index (index-only scan), then only those rows are read,
    without building model instances. Facts the user's access does not show are None."""
    ids = case_search(actor, **filters).values("pk")[offset : offset + limit]
    rows = (
        Case.objects.filter(pk__in=ids)
        .order_by("-created_at", "-id")
        .values_list("pk", "owning_agency_id", *_ROW_COLUMNS)
    )
    profiles = case_profiles(actor, [(row[0], row[1]) for row in rows])
    out = []
    for row in rows:
        values = dict(zip(CASE_ROW_FIELDS, row[2:], strict=True))
        out.append(hide_unseen(values, profiles[row[0]]))
    return out


#: search-row and export columns that belong to one policy field
_COLUMN_FIELD = {
    "exploitation_type": "exploitation_type",
    "region": "region",
    "is_child": "is_child",
    "forced_criminality": "forced_criminality",
    "forced_criminality_note": "forced_criminality_note",
    "screening_outcome": "screening_outcome",
    "summary": "summary",
    "rg_due": "deadlines",
    "reflection_starts": "deadlines",
    "reflection_ends": "deadlines",
    "deadline": "deadlines",
    "deadline_kind": "deadlines",
}


def hide_unseen(values: dict[str, Any], profile: policy.Profile) -> dict[str, Any]:
    """Blank (None) every column whose policy field the profile does not show."""
    for column, field in _COLUMN_FIELD.items():
        if column in values and field not in profile.case_visible:
            values[column] = None
    return values


def case_profiles(
    actor: User, cases: list[tuple[int, int]], *, now: datetime | None = None
) -> dict[int, policy.Profile]:
    """The merged profile of each (case id, owning agency id) for ``actor``, in one query:
    the bulk form of ``case_access_for`` for lists and exports."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    grants: dict[int, list[CaseGrant]] = {}
    ids = [case_id for case_id, _owner in cases]
    for grant in (
        CaseGrant.objects.filter(
            Q(agency_id=actor.agency_id) | Q(user_id=actor.pk),
            case_id__in=ids,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .select_related("consent")
        .order_by("id")
    ):
        grants.setdefault(grant.case_id, []).append(grant)
    empty = policy.profile_for(policy.AccessPurpose.STATISTICS)
    result: dict[int, policy.Profile] = {}
    for case_id, owner_id in cases:
        parts: list[tuple[policy.Profile, frozenset[str] | None]] = []
        if owner_id == actor.agency_id:
            parts.append((policy.profile_for(policy.AccessPurpose.CASE_WORK), None))
        for grant in grants.get(case_id, []):
            if grant.purpose in policy.PROFILES:
                parts.append((policy.profile_for(grant.purpose), _consent_scope(grant, today)))
        result[case_id] = policy.merge(parts) or empty
    return result


def _field_visible_q(actor: User, field: str, now: datetime) -> Q:
    """Cases on which ``actor`` may see the case fact ``field``."""
    purposes = [p for p, profile in policy.PROFILES.items() if field in profile.case_visible]
    grants = _active_grants(now).filter(purpose__in=purposes)
    return (
        Q(owning_agency_id=actor.agency_id)
        | Exists(grants.filter(agency_id=actor.agency_id))
        | Exists(grants.filter(user_id=actor.pk))
    )


def cases_hide_unseen(actor: User, cases: list[Case]) -> list[Case]:
    """Model instances for a page list with the facts outside each one's profile blanked
    (never saved)."""
    profiles = case_profiles(actor, [(c.pk, c.owning_agency_id) for c in cases])
    for case in cases:
        profile = profiles[case.pk]
        for column, field in _COLUMN_FIELD.items():
            if field not in profile.case_visible:
                setattr(case, column, None)
    return cases


@dataclass(frozen=True)
class Deadlines:
    overdue: list[Case]
    upcoming: list[Case]


def case_deadlines(
    actor: User, *, today: date | None = None, within_days: int = 7, limit: int = 50
) -> Deadlines:
    today = today or local_today()
    base = cases_visible_to(actor).filter(
        _field_visible_q(actor, "deadlines", timezone.now()),
        state__in=OPEN_STATES,
        deadline__isnull=False,
    )
    overdue = list(base.filter(deadline__lt=today).order_by("deadline")[:limit])
    upcoming = list(
        base.filter(
            deadline__gte=today, deadline__lte=today + timedelta(days=within_days)
        ).order_by("deadline")[:limit]
    )
    return Deadlines(overdue=overdue, upcoming=upcoming)


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "actor_agency").order_by("at", "id")


def case_active_grants(case: Case, *, now: datetime | None = None) -> QuerySet[CaseGrant]:
    now = now or timezone.now()
    return case.grants.filter(revoked_at__isnull=True, expires_at__gt=now).select_related(
        "agency", "user", "granted_by"
    )


def case_counts_by_state(actor: User) -> dict[str, int]:
    rows = cases_visible_to(actor).values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def case_counts_for_statistics(actor: User) -> dict[str, int]:
    """Counts by state: a caseworker's own scope; an analyst's whole country (aggregates only)."""
    if actor.role in CASE_ROLES:
        return case_counts_by_state(actor)
    if actor.agency_id is None:
        return {}
    rows = (
        Case.objects.filter(country=actor.agency.country)  # type: ignore[union-attr]
        .values("state")
        .annotate(n=Count("id"))
    )
    return {row["state"]: row["n"] for row in rows}


def case_has_person(case: Case) -> bool:
    return Person.objects.filter(case=case).exists()


CSV_COLUMNS = (
    "reference",
    "state",
    "exploitation_type",
    "country",
    "region",
    "is_child",
    "forced_criminality",
    "forced_criminality_note",
    "screening_outcome",
    "rg_due",
    "reflection_starts",
    "reflection_ends",
    "deadline",
    "deadline_kind",
    "owning_agency",
    "created_at",
    "updated_at",
)


def case_csv_rows(actor: User, cases: QuerySet[Case]) -> Iterator[list[str]]:
    """Case facts (never personal data) for a spreadsheet; the non-punishment flag included."""
    yield list(CSV_COLUMNS)
    batch: list[Case] = []
    for case in cases.select_related("owning_agency").iterator(chunk_size=1000):
        batch.append(case)
        if len(batch) == 1000:
            yield from _csv_batch(actor, batch)
            batch = []
    yield from _csv_batch(actor, batch)


def _csv_batch(actor: User, cases: list[Case]) -> Iterator[list[str]]:
    profiles = case_profiles(actor, [(c.pk, c.owning_agency_id) for c in cases])
    for case in cases:
        profile = profiles[case.pk]
        row = []
        for column in CSV_COLUMNS:
            field = _COLUMN_FIELD.get(column)
            if field is not None and field not in profile.case_visible:
                row.append("")
                continue
            value = case.owning_agency.name if column == "owning_agency" else getattr(case, column)
            text = "" if value is None else str(value)
            # neutralise spreadsheet formulas (CSV injection)
            row.append("'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text)
        yield row


def person_of(case: Case) -> Person | None:
    """The person record without an audit entry: only for the write path, which audits itself."""
    return Person.objects.filter(case=case).first()


# --- consent, access requests, hand-overs ----------------------------------------------


def case_consents(case: Case) -> QuerySet[Consent]:
    return case.consents.select_related("recipient_agency", "recorded_by", "withdrawn_by")


def consent_covering(
    case: Case,
    *,
    kind: str,
    agency_id: int | None = None,
    service_ref: str = "",
    partner: str = "",
    purpose: str = "",
    today: date | None = None,
) -> Consent | None:
    """The newest given, unwithdrawn, unexpired consent of ``kind`` naming this recipient."""
    today = today or local_today()
    qs = case.consents.filter(kind=kind, given=True, withdrawn_at__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )
    if agency_id is not None:
        qs = qs.filter(recipient_agency_id=agency_id)
    if service_ref:
        qs = qs.filter(service_ref=service_ref)
    if partner:
        qs = qs.filter(partner=partner)
    if purpose:
        qs = qs.filter(Q(purpose="") | Q(purpose=purpose))
    return qs.order_by("-recorded_at", "-id").first()


def access_requests_for_owner(access: CaseAccess) -> QuerySet[AccessRequest]:
    return access.case.access_requests.filter(status=AccessRequest.Status.PENDING).select_related(
        "agency", "requested_by"
    )


def handovers_pending(case: Case) -> QuerySet[Handover]:
    return case.handovers.filter(status=Handover.Status.PENDING).select_related(
        "from_agency", "to_agency", "requested_by"
    )


def handovers_to(actor: User) -> QuerySet[Handover]:
    """Hand-overs waiting for the actor's agency: the receiving side sees only the reference."""
    return Handover.objects.filter(
        to_agency_id=actor.agency_id, status=Handover.Status.PENDING
    ).select_related("case", "from_agency")


def handover_get_for(actor: User, pk: int) -> Handover:
    handover = handovers_to(actor).filter(pk=pk).first()
    if handover is None:
        raise NotFound(_("No such hand-over request."))
    return handover


def transition_by_name(name: str) -> Transition | None:
    return TRANSITIONS.get(name)
