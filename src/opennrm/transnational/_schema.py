"""What a package may carry: a referral (consented fields only) or a receipt.

The same checks run when a package is sealed and when it is opened, so a
partner's deployment can never push a field that this schema does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any

from opennrm.transnational._errors import FIELDS_NOT_ALLOWED, INVALID_PAYLOAD, PayloadInvalid

SCHEMA_VERSION = 1
REFERRAL = "referral"
RECEIPT = "receipt"
KINDS = (REFERRAL, RECEIPT)

#: Purposes of a transnational referral (codes; each deployment translates them).
PURPOSES = (
    "nrm_referral",
    "case_work",
    "shelter",
    "medical",
    "legal_aid",
    "social_support",
    "interpretation",
    "child_protection",
    "investigation",
    "prosecution",
    "return",
)
EXPLOITATION_TYPES = (
    "labour",
    "sexual",
    "criminality",
    "begging",
    "domestic_servitude",
    "forced_marriage",
    "organ_removal",
    "other",
    "unknown",
)
RECEIPT_STATUSES = ("acknowledged", "accepted", "declined", "in_progress", "completed")


def _text(limit: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise TypeError("text expected")
        if len(value) > limit:
            raise ValueError(f"at most {limit} characters")
        return value

    return check


def _choice(options: Collection[str]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in options:
            raise ValueError("not one of the known codes")
        return value

    return check


def _boolean(value: Any) -> Any:
    if not isinstance(value, bool):
        raise TypeError("true or false expected")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise TypeError("a date expected")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or len(value) != 10:
        raise TypeError("a date (YYYY-MM-DD) expected")
    date.fromisoformat(value)
    return value


def _optional_date(value: Any) -> Any:
    return None if value is None else _iso_date(value)


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40:
        parsed = datetime.fromisoformat(value)
    else:
        raise TypeError("a date and time expected")
    if parsed.tzinfo is None:
        raise ValueError("the time zone is missing")
    return parsed.isoformat()


def _code_list(options: int, limit: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, list) or len(value) > options:
            raise TypeError(f"a list of at most {options} items expected")
        for item in value:
            _text(limit)(item)
        return list(value)

    return check


#: Fields that describe the person or the case: each needs the person's consent.
SHAREABLE_FIELDS: dict[str, Callable[[Any], Any]] = {
    "exploitation_type": _choice(EXPLOITATION_TYPES),
    "is_child": _boolean,
    "languages": _text(200),
    "gender": _text(32),
    "age_band": _text(16),
    "given_name": _text(150),
    "family_name": _text(150),
    "date_of_birth": _iso_date,
    "citizenship": _text(100),
    "needs": _code_list(20, 64),
    "note": _text(2000),
}

_CONSENT_FIELDS: dict[str, Callable[[Any], Any]] = {
    "given_on": _iso_date,
    "method": _text(100),
    "scope": _code_list(len(SHAREABLE_FIELDS), 32),
    "expires_on": _optional_date,
}


def _consent(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise TypeError("the consent summary must be an object")
    unknown = set(value) - set(_CONSENT_FIELDS)
    if unknown:
        raise ValueError("unknown consent fields: " + ", ".join(sorted(unknown)))
    missing = {"given_on", "method", "scope"} - set(value)
    if missing:
        raise ValueError("missing consent fields: " + ", ".join(sorted(missing)))
    clean = {name: _CONSENT_FIELDS[name](item) for name, item in value.items()}
    outside = set(clean["scope"]) - set(SHAREABLE_FIELDS)
    if outside:
        raise ValueError("the consent names unknown fields: " + ", ".join(sorted(outside)))
    return clean


#: The frame of every referral: who sends, why, by when, and on what consent.
ENVELOPE_FIELDS: dict[str, Callable[[Any], Any]] = {
    "case_ref": _text(64),
    "purpose": _choice(PURPOSES),
    "response_due": _optional_date,
    "sender_agency": _text(200),
    "sender_contact": _text(500),
    "consent": _consent,
}
_REQUIRED_ENVELOPE = ("case_ref", "purpose", "sender_agency", "consent")

RECEIPT_FIELDS: dict[str, Callable[[Any], Any]] = {
    "package_id": _text(64),
    "status": _choice(RECEIPT_STATUSES),
    "reason": _text(1000),
    "at": _iso_datetime,
}

REFERRAL_FIELDS = frozenset(ENVELOPE_FIELDS) | frozenset(SHAREABLE_FIELDS)


def _clean(fields: Mapping[str, Callable[[Any], Any]], data: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in data.items():
        try:
            clean[name] = fields[name](value)
        except (TypeError, ValueError) as exc:
            raise PayloadInvalid(INVALID_PAYLOAD, f"{name}: {exc}", field=name) from exc
    return clean


def validate_payload(kind: str, payload: Any) -> dict[str, Any]:
    """The payload checked and normalised (dates as ISO text), or ``PayloadInvalid``."""
    if not isinstance(payload, Mapping):
        raise PayloadInvalid(INVALID_PAYLOAD, "the payload must be an object")
    if kind == REFERRAL:
        unknown = set(payload) - REFERRAL_FIELDS
        if unknown:
            raise PayloadInvalid(
                FIELDS_NOT_ALLOWED,
                "fields outside the referral schema: " + ", ".join(sorted(unknown)),
                field=sorted(unknown)[0],
            )
        missing = [name for name in _REQUIRED_ENVELOPE if name not in payload]
        if missing:
            raise PayloadInvalid(INVALID_PAYLOAD, "missing: " + ", ".join(missing), missing[0])
        clean = _clean({**ENVELOPE_FIELDS, **SHAREABLE_FIELDS}, payload)
        shared = set(clean) & set(SHAREABLE_FIELDS)
        outside = shared - set(clean["consent"]["scope"])
        if outside:
            raise PayloadInvalid(
                FIELDS_NOT_ALLOWED,
                "fields outside the consent: " + ", ".join(sorted(outside)),
                field=sorted(outside)[0],
            )
        return clean
    if kind == RECEIPT:
        unknown = set(payload) - set(RECEIPT_FIELDS)
        if unknown:
            raise PayloadInvalid(
                FIELDS_NOT_ALLOWED,
                "fields outside the receipt schema: " + ", ".join(sorted(unknown)),
                field=sorted(unknown)[0],
            )
        missing = [name for name in ("package_id", "status", "at") if name not in payload]
        if missing:
            raise PayloadInvalid(INVALID_PAYLOAD, "missing: " + ", ".join(missing), missing[0])
        return _clean(RECEIPT_FIELDS, payload)
    raise PayloadInvalid(INVALID_PAYLOAD, "unknown kind of package")


def referral_payload(
    *,
    fields: Mapping[str, Any],
    consented_fields: Collection[str],
    case_ref: str,
    purpose: str,
    sender_agency: str,
    sender_contact: str = "",
    response_due: date | None = None,
    consent_given_on: date,
    consent_method: str,
    consent_expires_on: date | None = None,
) -> dict[str, Any]:
    """Build a referral payload holding only ``fields``, each within the consent.

    ``consented_fields`` is what the person's consent allows to share with this
    recipient; a field outside it, or outside ``SHAREABLE_FIELDS``, is refused
    (nothing is dropped silently: the caller chooses what to send).
    """
    unknown = set(fields) - set(SHAREABLE_FIELDS)
    if unknown:
        raise PayloadInvalid(
            FIELDS_NOT_ALLOWED,
            "fields that cannot be shared across borders: " + ", ".join(sorted(unknown)),
            field=sorted(unknown)[0],
        )
    outside = set(fields) - set(consented_fields)
    if outside:
        raise PayloadInvalid(
            FIELDS_NOT_ALLOWED,
            "fields outside the consent: " + ", ".join(sorted(outside)),
            field=sorted(outside)[0],
        )
    scope = sorted(set(consented_fields) & set(SHAREABLE_FIELDS))
    payload: dict[str, Any] = {
        "case_ref": case_ref,
        "purpose": purpose,
        "sender_agency": sender_agency,
        "sender_contact": sender_contact,
        "response_due": response_due,
        "consent": {
            "given_on": consent_given_on,
            "method": consent_method,
            "scope": scope,
            "expires_on": consent_expires_on,
        },
        **fields,
    }
    return validate_payload(REFERRAL, payload)


def receipt_payload(
    *, package_id: str, status: str, at: datetime, reason: str = ""
) -> dict[str, Any]:
    return validate_payload(
        RECEIPT, {"package_id": package_id, "status": status, "reason": reason, "at": at}
    )
