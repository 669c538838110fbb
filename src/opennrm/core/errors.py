"""The one domain error type, mapped to HTTP in one place (API and pages)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass
class DomainError(Exception):
    """A request that cannot be carried out, with a message the user can act on."""

    message: str
    field: str | None = None
    details: list[dict[str, str]] = dataclasses.field(default_factory=list)

    status_code = 400
    code = "invalid"

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_failed"


class TooLarge(ValidationFailed):
    """A file or body past its size limit (413); still a validation failure of its field."""

    status_code = 413
    code = "too_large"


class NotFound(DomainError):
    """Also what a user gets for an object they may not see: no existence leak."""

    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    """The user may see the object but not do this to it."""

    status_code = 403
    code = "forbidden"


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"


class Conflict(DomainError):
    """Optimistic-locking failure: someone else changed the record first."""

    status_code = 409
    code = "conflict"
