"""The thin layer between the exchange and the rest of OpenNRM: consent, case access,
personal data, and the referral created on import.

STAND-IN: until ``opennrm.cases.Consent`` and ``opennrm.referrals`` land on main this
module reads the exchange's own ``TransferConsent`` and creates no ``Referral``.
Everything else in the app goes through these functions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import GRANT_ROLES
from opennrm.audit.services import audit_record
from opennrm.cases.models import Case, Person
from opennrm.cases.services import person_read
from opennrm.core.errors import Forbidden, ValidationFailed

#: Referral content about the case rather than the person's identity: sent only on a
#: transnational consent to that partner, like the personal fields it names.
CASE_FACT_FIELDS = ("exploitation_type", "is_child", "needs", "note")
#: Personal data that may cross a border, each only when the consent names it.
PERSONAL_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "age_band",
    "gender",
    "citizenship",
    "languages",
)


@dataclass(frozen=True)
class ConsentSummary:
    given_on: date
    method: str
    fields: tuple[str, ...]
    expires_on: date | None


def transnational_consent(*, case: Case, partner_id: str, today: date) -> ConsentSummary | None:
    """The person's valid, not withdrawn consent to transfer to ``partner_id``, if any."""
    from opennrm.exchange.models import TransferConsent

    consent = (
        TransferConsent.objects.filter(
            case=case, partner=partner_id, given=True, withdrawn_at__isnull=True
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .order_by("-recorded_at", "-id")
        .first()
    )
    if consent is None:
        return None
    return ConsentSummary(
        given_on=consent.obtained_on,
        method=consent.method,
        fields=tuple(f for f in consent.fields if f in PERSONAL_FIELDS) + CASE_FACT_FIELDS,
        expires_on=consent.expires_on,
    )


@transaction.atomic
def transfer_consent_record(
    *,
    actor: User,
    case: Case,
    partner_id: str,
    fields: list[str],
    obtained_on: date,
    method: str,
    expires_on: date | None = None,
) -> Any:
    """STAND-IN for ``opennrm.cases.services.consent_record(kind="transnational")``."""
    from opennrm.exchange.models import TransferConsent

    require_export_access(actor, case)
    unknown = set(fields) - set(PERSONAL_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be sent abroad: %(f)s") % {"f": ", ".join(sorted(unknown))},
            field="fields",
        )
    consent = TransferConsent.objects.create(
        case=case,
        partner=partner_id,
        fields=sorted(fields),
        obtained_on=obtained_on,
        method=method,
        expires_on=expires_on,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="consent.record",
        object_type="case",
        object_ref=case.reference,
        detail={"kind": "transnational", "consent_id": consent.pk, "fields": len(fields)},
    )
    return consent


def require_export_access(actor: User, case: Case) -> None:
    """Only the owning agency's case managers and coordinators send a case abroad."""
    if actor.role not in GRANT_ROLES or actor.agency_id != case.owning_agency_id:
        raise Forbidden(
            _("Only a case manager or coordinator of the owning agency can refer a case abroad.")
        )


def read_person(*, actor: User, case: Case) -> dict[str, Any]:
    """The person's data (an audited read) as plain values."""
    person: Person | None = person_read(actor=actor, case=case, purpose="nrm_referral")
    if person is None:
        return {}
    return {name: getattr(person, name) for name in PERSONAL_FIELDS}


def create_incoming_referral(
    *,
    actor: User,
    case: Case,
    purpose: str,
    response_due: date | None,
    external_ref: str,
    note: str = "",
) -> Any:
    """STAND-IN: ``opennrm.referrals.services.referral_create_incoming`` once it exists."""
    return None


def connect() -> None:
    """Register the exchange's listeners with other apps (from ``ExchangeConfig.ready``)."""
