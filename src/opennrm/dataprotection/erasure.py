"""Free text about the person kept by apps that do not erase it themselves.

Registered with ``cases.hooks.case_anonymised_listeners`` (from this app's ``ready``),
so an anonymous report, a retention run and an erasure all remove it: referral notes
and reasons, the partner's note on an imported transnational referral, and the
screening's age and interview language (its indicator answers and outcome stay: they
are counted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opennrm.cases.models import Case


def erase_linked_free_text(case: Case) -> None:
    from opennrm.exchange.models import IncomingPackage
    from opennrm.referrals.models import Referral, ReferralChange
    from opennrm.screenings.models import Screening

    Referral.objects.filter(case=case).update(note="", decline_reason="", legal_basis_note="")
    ReferralChange.objects.filter(referral__case=case).update(reason="")
    IncomingPackage.objects.filter(case=case).update(note="")
    Screening.objects.filter(case=case).update(age=None, interviewee_language="")
