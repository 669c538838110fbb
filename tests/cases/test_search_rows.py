"""The list endpoint's row serializer gives exactly what the model-instance one gave."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from opennrm.cases.api import CaseOut, CasePage, _case_row_out
from opennrm.cases.models import Case
from opennrm.cases.selectors import (
    CASE_ROW_FIELDS,
    case_search,
    case_search_page_rows,
    cases_hide_unseen,
)
from opennrm.cases.services import case_update, grant_create
from tests.cases.helpers import consent_to, open_case, referred_case
from tests.factories import UserFactory


def case_search_page(actor, *, offset, limit, **filters):
    """The straightforward page (model instances): the reference the row selector must match."""
    ids = case_search(actor, **filters).values("pk")[offset : offset + limit]
    return cases_hide_unseen(
        actor,
        list(
            Case.objects.filter(pk__in=ids)
            .select_related("owning_agency")
            .order_by("-created_at", "-id")
        ),
    )


def _old(actor, **kw):
    """What the endpoint did before: model instances validated through ``CaseOut``."""
    rows = case_search_page(actor, **kw)
    page = CasePage.model_validate({"page": 1, "page_size": 25, "has_next": False, "items": rows})
    return json.dumps(page.model_dump(), cls=NinjaJSONEncoder)


def _new(actor, **kw):
    rows = case_search_page_rows(actor, **kw)
    page = CasePage.model_construct(
        page=1, page_size=25, has_next=False, items=[_case_row_out(r) for r in rows]
    )
    return json.dumps(page.model_dump(), cls=NinjaJSONEncoder)


def test_row_fields_are_the_schema_fields():
    assert list(CASE_ROW_FIELDS) == list(CaseOut.model_fields)


def test_rows_serialize_exactly_as_instances(world):
    manager = UserFactory(agency=world.police, role="case_manager")
    own = open_case(world.officer, region="Kyiv", is_child=True)
    forced = open_case(world.officer, region="Lviv")
    forced = case_update(
        actor=world.officer,
        case=forced,
        expected_version=forced.version,
        changes={"forced_criminality": True, "forced_criminality_note": "Made to steal."},
    )
    referred = referred_case(world)  # deadlines, screening outcome, version > 1
    granted = open_case(manager, region="Odesa")
    consent_to(granted, manager, world.border, purpose="investigation")
    grant_create(
        actor=manager,
        case=granted,
        agency=world.border,
        purpose="investigation",
        expires_at=timezone.now() + timedelta(days=2),
    )
    hidden = open_case(manager)  # not granted: the border guard must not see it

    for actor in (world.officer, world.border_guard, manager):
        for kw in ({}, {"state": "referred"}, {"forced_criminality": True}, {"region": "Odesa"}):
            old = _old(actor, offset=0, limit=26, **kw)
            assert _new(actor, offset=0, limit=26, **kw) == old
            assert _new(actor, offset=1, limit=2, **kw) == _old(actor, offset=1, limit=2, **kw)

    seen = json.loads(_new(world.border_guard, offset=0, limit=26))["items"]
    assert [c["reference"] for c in seen] == [granted.reference]
    assert seen[0]["owning_agency"] == "Kyiv Police"
    # the investigation profile shows no screening outcome and no deadlines: blank in lists too
    assert seen[0]["screening_outcome"] is None and seen[0]["deadline_kind"] is None
    assert seen[0]["region"] == "Odesa"
    officer = json.loads(_new(world.officer, offset=0, limit=26))["items"]
    mine = {own.reference, forced.reference, referred.reference, granted.reference}
    assert {c["reference"] for c in officer} == mine | {hidden.reference}  # same agency
    assert [c["forced_criminality"] for c in officer if c["reference"] == forced.reference] == [
        True
    ]
