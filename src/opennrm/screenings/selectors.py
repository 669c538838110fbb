from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.cases.models import Case
from opennrm.cases.selectors import cases_visible_to
from opennrm.core.errors import NotFound
from opennrm.screenings.models import Screening


def screening_get_for(actor: User, public_id: str | uuid.UUID) -> Screening:
    """A screening the user started, or one attached to a case the user may see."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(_("No such screening, or you do not have access to it.")) from None
    found = Screening.objects.select_related("case").filter(public_id=key).first()
    if found is not None:
        if found.created_by_id == actor.pk:
            return found
        if found.case_id is not None and cases_visible_to(actor).filter(pk=found.case_id).exists():
            return found
    raise NotFound(_("No such screening, or you do not have access to it."))


def screenings_of_case(case: Case) -> QuerySet[Screening]:
    return (
        case.screenings.filter(status="completed")
        .select_related("created_by")
        .order_by("-created_at")
    )


def screening_drafts_of(actor: User) -> QuerySet[Screening]:
    return Screening.objects.filter(created_by=actor, status="draft", case__isnull=True).order_by(
        "-updated_at"
    )
