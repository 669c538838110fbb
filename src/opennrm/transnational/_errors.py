"""Why a package was refused or could not be built: a stable code plus a message."""

from __future__ import annotations

#: Codes of ``PackageRefused.reason``; applications translate them for people.
TOO_LARGE = "too_large"
UNDECRYPTABLE = "undecryptable"
UNTRUSTED_SENDER = "untrusted_sender"
REVOKED_KEY = "revoked_key"
BAD_SIGNATURE = "bad_signature"
WRONG_RECIPIENT = "wrong_recipient"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
REPLAYED = "replayed"
UNKNOWN_SCHEMA = "unknown_schema"
FIELDS_NOT_ALLOWED = "fields_not_allowed"
INVALID_PAYLOAD = "invalid_payload"

REASONS = (
    TOO_LARGE,
    UNDECRYPTABLE,
    UNTRUSTED_SENDER,
    REVOKED_KEY,
    BAD_SIGNATURE,
    WRONG_RECIPIENT,
    EXPIRED,
    NOT_YET_VALID,
    REPLAYED,
    UNKNOWN_SCHEMA,
    FIELDS_NOT_ALLOWED,
    INVALID_PAYLOAD,
)


class PackageRefused(Exception):
    """An incoming package was not accepted. ``reason`` is one of ``REASONS``.

    ``message`` is English and technical (for logs of the operator, never with
    personal data); applications show a translated text chosen by ``reason``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class PayloadInvalid(ValueError):
    """A payload that may not be sealed (or was opened and does not fit the schema).

    ``reason`` is ``FIELDS_NOT_ALLOWED``, ``INVALID_PAYLOAD`` or ``TOO_LARGE``;
    ``field`` names the field at fault where there is one.
    """

    def __init__(self, reason: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field
