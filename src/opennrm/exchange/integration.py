"""The thin layer between the exchange and the rest of OpenNRM: consent
(``opennrm.cases.Consent``, kind "transnational"), the one case-access helper, personal
data, and the referral (``opennrm.referrals``) created on import, whose status changes
go back to the sender as receipts. The rest of the app goes through these functions only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.cases.models import Case, ConsentKind
from opennrm.cases.selectors import case_access_for, consent_covering
from opennrm.cases.services import consent_record, person_read
from opennrm.core.errors import DomainError, Forbidden

log = logging.getLogger(__name__)

#: Referral content about the case rather than the person's identity: sent only on a
#: valid transnational consent to that partner (with the personal fields it names).
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
#: Receipt status -> the referral action that produces it on the receiving side.
RECEIPT_ACTIONS = {
    "acknowledged": "acknowledge",
    "accepted": "accept",
    "declined": "decline",
    "in_progress": "start",
    "completed": "complete",
}


@dataclass(frozen=True)
class ConsentSummary:
    given_on: date
    method: str
    fields: tuple[str, ...]
    expires_on: date | None


def transnational_consent(
    *, case: Case, partner_id: str, purpose: str, today: date
) -> ConsentSummary | None:
    """The person's given, unwithdrawn, unexpired consent to transfer to ``partner_id``."""
    consent = consent_covering(
        case, kind=ConsentKind.TRANSNATIONAL, partner=partner_id, purpose=purpose, today=today
    )
    if consent is None:
        return None
    return ConsentSummary(
        given_on=consent.obtained_on,
        method=consent.method,
        fields=tuple(f for f in consent.fields if f in PERSONAL_FIELDS) + CASE_FACT_FIELDS,
        expires_on=consent.expires_on,
    )


def transfer_consent_record(
    *,
    actor: User,
    case: Case,
    partner_id: str,
    fields: list[str],
    obtained_on: date,
    method: str,
    expires_on: date | None = None,
    guardian: str = "",
) -> Any:
    """Record the person's consent to a transfer to one partner (cases' own service)."""
    return consent_record(
        actor=actor,
        case=case,
        kind=ConsentKind.TRANSNATIONAL,
        partner=partner_id,
        fields=fields,
        obtained_on=obtained_on,
        method=method,
        expires_on=expires_on,
        guardian=guardian,
    )


def require_export_access(actor: User, case: Case) -> None:
    """The access table's "export" action (owner's case managers and coordinators, and the
    reasonable-grounds decider); a case the actor may not see is "not found"."""
    access = case_access_for(actor, case.reference)
    if not access.may("export"):
        raise Forbidden(_("Your access to this case does not let you refer it abroad."))


def read_person(*, actor: User, case: Case, fields: list[str]) -> dict[str, Any]:
    """The requested personal fields (an audited read), each one the actor may see."""
    view = person_read(actor=actor, case=case)
    if view is None:
        return {}
    hidden = sorted(set(fields) & set(view.hidden))
    if hidden:
        raise Forbidden(_("Your access does not include: %(f)s") % {"f": ", ".join(hidden)})
    return {name: view.fields.get(name) for name in fields if name in view.fields}


def _due(response_due: date | None) -> datetime:
    if response_due is None:
        return datetime.now(UTC) + timedelta(days=settings.OPENNRM_EXCHANGE_PACKAGE_DAYS)
    return datetime.combine(response_due, time(23, 59), tzinfo=UTC)


def create_incoming_referral(
    *,
    actor: User,
    case: Case,
    purpose: str,
    response_due: date | None,
    external_ref: str,
    partner_name: str,
    note: str = "",
) -> Any:
    """The referral waiting for the importing agency's answer."""
    from opennrm.referrals.services import referral_create_incoming

    return referral_create_incoming(
        actor=actor,
        case=case,
        receiving_agency=actor.agency,
        purpose=purpose,
        response_due=_due(response_due),
        external_ref=external_ref,
        note=note,
        service_name=partner_name,
    )


def referral_answer(*, actor: User, referral: Any, status: str, reason: str = "") -> None:
    """Move the incoming referral to the status a receipt reports (same transaction)."""
    from opennrm.referrals.services import referral_transition

    if referral is None or referral.status == status or status not in RECEIPT_ACTIONS:
        return
    referral_transition(
        actor=actor,
        referral=referral,
        action=RECEIPT_ACTIONS[status],
        expected_version=referral.version,
        reason=reason,
    )


def _on_referral_status(referral: Any, old: str, new: str) -> None:
    """After a committed status change of an incoming transnational referral: sign a
    receipt for the sender and push it to the inbox in the partner's trusted keys."""
    from opennrm.exchange.models import IncomingPackage
    from opennrm.exchange.services import receipt_send
    from opennrm.exchange.transport import push

    if new not in RECEIPT_ACTIONS:
        return
    incoming = IncomingPackage.objects.filter(referral_id=referral.pk).first()
    if incoming is None or (incoming.receipts and incoming.receipts[-1]["status"] == new):
        return  # not transnational, or a receipt for this change was already sent
    try:
        sealed = receipt_send(
            actor=None, incoming=incoming, status=new, reason=referral.decline_reason or ""
        )
    except DomainError as exc:
        log.warning("exchange: no receipt for package %s: %s", incoming.jti, exc.code)
        return
    url = sealed.partner.inbox_url
    if url:
        result = push(url, sealed.token)
        if not result.ok:
            log.warning(
                "exchange: receipt for package %s not delivered (%s %s)",
                incoming.jti,
                result.status,
                result.reason,
            )


def connect() -> None:
    """Register the exchange's listeners with other apps (from ``ExchangeConfig.ready``)."""
    from opennrm.referrals import hooks

    if _on_referral_status not in hooks.status_listeners:
        hooks.status_listeners.append(_on_referral_status)
