"""Reads of referrals: the sender sees them through the case's access; the receiving
agency sees its own inbox."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.cases.models import Case
from opennrm.cases.selectors import case_access_for
from opennrm.core.errors import NotFound
from opennrm.referrals.models import OPEN_STATUSES, Referral, ReferralChange


def referrals_of_case(case: Case) -> QuerySet[Referral]:
    return case.referrals.select_related("receiving_agency", "sending_agency", "created_by")


def referrals_incoming(actor: User, *, open_only: bool = False) -> QuerySet[Referral]:
    """Referrals the actor's agency received (its inbox), newest first."""
    if actor.agency_id is None:
        return Referral.objects.none()
    qs = Referral.objects.filter(receiving_agency_id=actor.agency_id).exclude(status="draft")
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return qs.select_related("case", "sending_agency").order_by("-sent_at", "-id")


def referrals_sent(actor: User) -> QuerySet[Referral]:
    if actor.agency_id is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(sending_agency_id=actor.agency_id)
        .select_related("case", "receiving_agency")
        .order_by("-created_at", "-id")
    )


def referral_get_for(actor: User, pk: int) -> Referral:
    """A referral the actor's agency sent (and may still see the case of) or received;
    the same NotFound for a missing and a hidden one."""
    referral = (
        Referral.objects.filter(pk=pk)
        .filter(Q(receiving_agency_id=actor.agency_id) | Q(sending_agency_id=actor.agency_id))
        .select_related(
            "case", "case__owning_agency", "receiving_agency", "sending_agency", "grant"
        )
        .first()
    )
    if referral is None or actor.agency_id is None:
        raise NotFound(_("No such referral, or you do not have access to it."))
    if referral.receiving_agency_id != actor.agency_id:
        case_access_for(actor, referral.case.reference)  # the sender must still see the case
    return referral


def referral_history(referral: Referral) -> QuerySet[ReferralChange]:
    return referral.changes.select_related("actor", "actor_agency").order_by("at", "id")
