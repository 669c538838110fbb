from __future__ import annotations

from django.utils import timezone

from opennrm.cases.models import Case
from opennrm.cases.policy import PERSON_FIELDS
from opennrm.cases.services import consent_record
from tests.directory.factories import OrganizationFactory, ServiceFactory


def shelter_of(agency, **kwargs):
    """A shelter in the directory whose referrals the given agency receives."""
    org = OrganizationFactory(agency=agency)
    kwargs.setdefault("capacity_total", 10)
    kwargs.setdefault("capacity_available", 3)
    return ServiceFactory(organization=org, **kwargs)


def consent_to_service(case: Case, actor, service, fields=PERSON_FIELDS, **kwargs):
    return consent_record(
        actor=actor,
        case=case,
        kind="referral",
        service_ref=str(service.pk),
        service_name=service.name,
        fields=fields,
        obtained_on=timezone.localdate(),
        method="in_person",
        interpreter_language="uk",
        guardian="parent" if case.is_child else "",
        **kwargs,
    )
