"""The API's own error messages, in the caller's language (``Accept-Language``).

Kept here, with this app's catalogue, for the refusals the API framework and the request
middleware make themselves (unreadable JSON, CSRF, unknown address, method, size, broken
characters, server error) and for the field errors of request validation, which pydantic
words in English: they are shown by the error's type, the field named as sent."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, Promise] = {
    "invalid_json": _("The request body is not valid JSON."),
    "invalid_body": _("The request body is not a valid multipart form."),
    "csrf_failed": _(
        "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header, "
        "or use a bearer token."
    ),
    "not_found": _("Not found."),
    "no_route": _("There is no such address in the API."),
    "method_not_allowed": _("This method is not allowed here."),
    "unauthenticated": _("Sign in (with your second factor) or send a valid bearer token."),
    "too_large": _("The request body is too large."),
    "bad_character": _(
        "The request contains a character that is not allowed (NUL or a broken one)."
    ),
    "server_error": _("Something went wrong on the server."),
    "http_error": _("The request could not be handled."),
}

#: pydantic's error types, in words
VALIDATION: dict[str, Promise] = {
    "missing": _("This field is required."),
    "extra_forbidden": _("This field is not expected here."),
    "string_type": _("Give text here."),
    "string_too_short": _("This text is too short."),
    "string_too_long": _("This text is too long."),
    "string_pattern_mismatch": _("This text does not have the expected form."),
    "int_type": _("Give a whole number here."),
    "int_parsing": _("Give a whole number here."),
    "int_from_float": _("Give a whole number here."),
    "float_type": _("Give a number here."),
    "float_parsing": _("Give a number here."),
    "bool_type": _("Give true or false here."),
    "bool_parsing": _("Give true or false here."),
    "date_type": _("Give a date (YYYY-MM-DD) here."),
    "date_parsing": _("Give a date (YYYY-MM-DD) here."),
    "date_from_datetime_parsing": _("Give a date (YYYY-MM-DD) here."),
    "date_from_datetime_inexact": _("Give a date (YYYY-MM-DD) here."),
    "datetime_type": _("Give a date and time (ISO 8601, with its offset) here."),
    "datetime_parsing": _("Give a date and time (ISO 8601, with its offset) here."),
    "datetime_from_date_parsing": _("Give a date and time (ISO 8601, with its offset) here."),
    "timezone_aware": _("Give a date and time with its offset (for example +02:00)."),
    "uuid_type": _("Give an identifier (UUID) here."),
    "uuid_parsing": _("Give an identifier (UUID) here."),
    "list_type": _("Give a list here."),
    "dict_type": _("Give an object here."),
    "model_type": _("Give an object here."),
    "model_attributes_type": _("Give an object here."),
    "enum": _("This is not one of the allowed values."),
    "literal_error": _("This is not one of the allowed values."),
    "too_short": _("This list is too short."),
    "too_long": _("This list is too long."),
    "greater_than": _("This number is too small."),
    "greater_than_equal": _("This number is too small."),
    "less_than": _("This number is too large."),
    "less_than_equal": _("This number is too large."),
    "json_invalid": _("The request body is not valid JSON."),
    "none_required": _("This field must be empty."),
}


def api_message(code: str) -> str:
    """The message of one of the API's own refusals, in the active language."""
    return str(MESSAGES.get(code, MESSAGES["http_error"]))


def validation_message(error: dict[str, Any]) -> str:
    """A request-validation error in the active language (by its pydantic type)."""
    kind = str(error.get("type", ""))
    if kind in VALIDATION:
        return str(VALIDATION[kind])
    return gettext("This value is not valid.")
