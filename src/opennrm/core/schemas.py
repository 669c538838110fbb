"""Building blocks of the API's input schemas: JSON as the schema says, no more.

* ``JsonIn``: a request body validated in pydantic's strict JSON mode, so that
  ``0`` is not taken for ``false``, nor a number for a date, and unknown fields
  are refused: what the OpenAPI schema documents is exactly what is accepted.
* ``omittable()``: a field a client may leave out but never set to ``null``
  (a PATCH that sends ``"summary": null`` is refused with 422, not guessed at).
* ``BoundedAwareDatetime`` (query) and ``JsonDateTime`` (body): an ISO 8601 aware datetime that can be expressed in UTC
  (``0001-01-01T00:00:00+14:00`` cannot, and would overflow in the database).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, Strict
from pydantic_core import PydanticCustomError


class JsonIn(Schema):
    """A JSON request body, validated strictly: JSON types must match the schema exactly.

    Strings that carry a richer type (dates, times, codes) use the ``Json*`` types
    below, which accept their documented string form only.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


def _must_be_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a string")
    return value


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _iso_text(value: Any) -> Any:
    """Dates and times are ISO 8601 text; pydantic would also read ``"0.5"`` as a timestamp."""
    value = _must_be_text(value)
    if _NUMBER.fullmatch(value):
        raise PydanticCustomError("iso_format", "Input should be an ISO 8601 date or time")
    return value


def _drop_null_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable(**kwargs: Any) -> Any:
    """A field that may be left out (it stays ``None``) but never sent as ``null``."""
    return Field(None, json_schema_extra=_drop_null_default, **kwargs)


def _expressible_in_utc(value: datetime) -> datetime:
    """The same instant in UTC: PostgreSQL refuses offsets beyond ±15:59 (``+21:29`` is
    valid ISO 8601 and Python), so nothing reaches the database with its original offset."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise PydanticCustomError(
            "datetime_out_of_range", "the date and time is out of the supported range"
        ) from exc


BoundedAwareDatetime = Annotated[
    AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_expressible_in_utc)
]
JsonDate = Annotated[date, Strict(False), BeforeValidator(_iso_text)]
JsonDateTime = Annotated[
    AwareDatetime,
    Strict(False),
    BeforeValidator(_iso_text),
    AfterValidator(_expressible_in_utc),
]


def json_code(choices: Any) -> Any:
    """A code from an enumeration, given as its string value in a strict JSON body."""
    return Annotated[choices, Strict(False), BeforeValidator(_must_be_text)]
