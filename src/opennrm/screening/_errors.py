"""The one error type of the screening library."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with the input: the offending ``field`` (e.g. ``answers.<id>``) and why."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


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
