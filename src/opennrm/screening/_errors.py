"""The one error type of the screening library."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as _field


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with the input: the offending ``field`` (e.g. ``answers.<id>``) and why.

    ``message`` is English; ``code`` (``age.range``, ``answers.unknown``, … ; see
    :data:`FIELD_ERROR_CODES`) and ``params`` (ids and numbers only) say the same as data,
    so a caller can say it in its reader's language."""

    field: str
    message: str
    code: str = ""
    params: Mapping[str, str | int] = _field(default_factory=dict)

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


FIELD_ERROR_CODES = (
    "set.type",  # choices
    "set.unknown",  # set (may be empty: not shaped like an id), choices
    "age.type",
    "age.range",  # max
    "age.adult_in_child_set",  # set
    "age.child_in_adult_set",  # set
    "answers.type",
    "answers.key_type",
    "answers.key_format",  # suggestion (may be empty)
    "answers.derived",
    "answers.unknown",  # suggestion (may be empty)
    "answers.other_set",  # set, sets
    "answers.twice",
    "answers.value",  # kind: null, boolean, number, text, object, list, other
    "payload.type",
    "payload.unexpected",
    "payload.required",  # field
)
"""Every code a :class:`FieldError` can carry."""


class ScreeningInputError(ValueError):
    """The screening input is invalid. ``errors`` lists every problem found, not just the first.

    Messages name indicator ids, set ids and field names only, never free text from the
    interview, so they are safe to log.
    """

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("ScreeningInputError needs at least one FieldError")
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def to_list(self) -> list[dict[str, str]]:
        return [e.to_dict() for e in self.errors]


class CatalogueError(RuntimeError):
    """A catalogue data file is missing or inconsistent (a packaging or authoring bug)."""
