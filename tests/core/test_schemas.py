"""Strict JSON bodies: what the schema documents is exactly what is accepted."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ninja import Schema
from pydantic import ValidationError

from opennrm.core.schemas import (
    BoundedAwareDatetime,
    JsonDate,
    JsonDateTime,
    JsonIn,
    json_code,
    omittable,
)


class Colour(StrEnum):
    RED = "red"


class Body(JsonIn):
    flag: bool = False
    day: JsonDate | None = None
    when: JsonDateTime | None = None
    colour: json_code(Colour) = Colour.RED
    note: str = omittable(max_length=5)
    count: int | None = None


class Query(Schema):
    since: BoundedAwareDatetime | None = None


def test_documented_forms_are_accepted():
    body = Body.model_validate(
        {
            "flag": True,
            "day": "2026-12-01",
            "when": "2026-12-01T10:00:00+02:00",
            "colour": "red",
            "note": "ok",
            "count": 3,
        }
    )
    assert body.day == date(2026, 12, 1) and body.colour is Colour.RED
    assert Query.model_validate({"since": "2026-12-01T00:00:00Z"}).since.year == 2026


@pytest.mark.parametrize(
    "data",
    [
        {"flag": 0},
        {"flag": "true"},
        {"count": "3"},
        {"count": True},
        {"day": 0},
        {"day": "0.5"},
        {"when": 1.5},
        {"when": "0001-01-01T00:00:00+14:00"},
        {"colour": "blue"},
        {"note": None},
        {"unknown": 1},
    ],
)
def test_lax_or_undocumented_forms_are_refused(data):
    with pytest.raises(ValidationError):
        Body.model_validate(data)


def test_null_is_not_in_the_schema_of_an_omittable_field():
    assert Body.model_json_schema()["properties"]["note"] == {
        "maxLength": 5,
        "title": "Note",
        "type": "string",
    }


@given(st.datetimes(timezones=st.timezones()))
def test_any_aware_datetime_either_validates_or_is_refused_cleanly(value):
    try:
        Query.model_validate({"since": value.isoformat()})
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] == ("since",)
