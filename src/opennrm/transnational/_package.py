"""Seal (sign, then encrypt) and open (decrypt, verify, check) one exchange package.

A package is a compact JWE (``ECDH-ES`` key agreement with the recipient's
X25519 key, ``A256GCM``) whose plaintext is a compact JWS (``Ed25519``,
RFC 9864) over the claims::

    {"iss": sender id, "aud": recipient id, "iat": ..., "exp": ..., "jti": package id,
     "kind": "referral" | "receipt", "v": 1, "body": {...}}

Nothing here reads a clock, a database or the network: the caller passes the
time, the keys, and ``seen`` (has this package id been imported before?).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwe, jws
from joserfc.errors import JoseError

from opennrm.transnational._errors import (
    BAD_SIGNATURE,
    EXPIRED,
    INVALID_PAYLOAD,
    NOT_YET_VALID,
    REPLAYED,
    REVOKED_KEY,
    TOO_LARGE,
    UNDECRYPTABLE,
    UNKNOWN_SCHEMA,
    UNTRUSTED_SENDER,
    WRONG_RECIPIENT,
    PackageRefused,
    PayloadInvalid,
)
from opennrm.transnational._keys import KeyInvalid, encryption_key, key_id, signing_key
from opennrm.transnational._schema import KINDS, SCHEMA_VERSION, validate_payload

#: The largest package accepted (the compact token, in bytes).
MAX_PACKAGE_BYTES = 64 * 1024
#: The longest a package may stay valid.
MAX_LIFETIME = timedelta(days=90)
#: How far a sender's clock may run ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)

_JWS_ALG = "Ed25519"
_JWE_ALG = "ECDH-ES"
_JWE_ENC = "A256GCM"
_JWS_TYP = "opennrm-package+jws"
_JWE_TYP = "opennrm-package+jwe"
_CLAIMS = frozenset({"iss", "aud", "iat", "exp", "jti", "kind", "v", "body"})
_ID_LIMIT = 100


@dataclass(frozen=True)
class OpenedPackage:
    """A package that passed every check."""

    package_id: str
    kind: str
    sender_id: str
    recipient_id: str
    issued_at: datetime
    expires_at: datetime
    signing_kid: str
    payload: dict[str, Any] = field(repr=False)  # personal data: never in a repr or a log


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _b64_json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def seal(
    payload: Mapping[str, Any],
    *,
    sender_id: str,
    signing_key: Mapping[str, Any],
    recipient_id: str,
    recipient_public_key: Mapping[str, Any],
    expires_at: datetime,
    now: datetime,
    kind: str = "referral",
    package_id: str | None = None,
) -> str:
    """Sign ``payload`` with our Ed25519 key, then encrypt it to the recipient's X25519 key.

    Raises ``PayloadInvalid`` when the payload does not fit the schema of
    ``kind`` (fields outside the allowed set or outside the consent) or the
    sealed package is too large.
    """
    _require_aware(now, "now")
    _require_aware(expires_at, "expires_at")
    if kind not in KINDS:
        raise PayloadInvalid(INVALID_PAYLOAD, "unknown kind of package")
    if not now < expires_at <= now + MAX_LIFETIME:
        raise PayloadInvalid(INVALID_PAYLOAD, "the expiry must be in the next 90 days", "expires")
    for name, value in (("sender_id", sender_id), ("recipient_id", recipient_id)):
        if not isinstance(value, str) or not 0 < len(value) <= _ID_LIMIT:
            raise PayloadInvalid(INVALID_PAYLOAD, f"{name} must be a short text", name)
    body = validate_payload(kind, payload)
    claims = {
        "iss": sender_id,
        "aud": recipient_id,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": package_id or str(uuid.uuid4()),
        "kind": kind,
        "v": SCHEMA_VERSION,
        "body": body,
    }
    sign_with = _signing(signing_key)
    signed = jws.serialize_compact(
        {"alg": _JWS_ALG, "kid": key_id(signing_key), "typ": _JWS_TYP},
        json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        sign_with,
        algorithms=[_JWS_ALG],
    )
    token = jwe.encrypt_compact(
        {
            "alg": _JWE_ALG,
            "enc": _JWE_ENC,
            "kid": key_id(recipient_public_key),
            "typ": _JWE_TYP,
            "cty": "JWT",
        },
        signed,
        encryption_key(recipient_public_key, private=False),
        algorithms=[_JWE_ALG, _JWE_ENC],
    )
    if len(token.encode("ascii")) > MAX_PACKAGE_BYTES:
        raise PayloadInvalid(TOO_LARGE, "the package is larger than 64 KiB; shorten the note")
    return token


def _signing(jwk: Mapping[str, Any]) -> Any:
    return signing_key(jwk, private=True)


def _decrypt(token: str, recipient_private_keys: Sequence[Mapping[str, Any]]) -> bytes:
    parts = token.split(".")
    if len(parts) != 5:
        raise PackageRefused(UNDECRYPTABLE, "not a compact JWE")
    if parts[1] != "":
        # ECDH-ES is direct key agreement: there is no encrypted key
        raise PackageRefused(UNDECRYPTABLE, "unexpected encrypted key")
    try:
        header = _b64_json(parts[0])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise PackageRefused(UNDECRYPTABLE, "unreadable JWE header") from exc
    if not isinstance(header, dict) or header.get("alg") != _JWE_ALG:
        raise PackageRefused(UNDECRYPTABLE, "unexpected JWE algorithm")
    if header.get("enc") != _JWE_ENC or header.get("typ") != _JWE_TYP:
        raise PackageRefused(UNDECRYPTABLE, "unexpected JWE encryption or type")
    kid = header.get("kid")
    candidates = [k for k in recipient_private_keys if kid and k.get("kid") == kid]
    if not candidates:
        raise PackageRefused(UNDECRYPTABLE, "not encrypted to any of our keys")
    try:
        key = encryption_key(candidates[0], private=True)
        result = jwe.decrypt_compact(token, key, algorithms=[_JWE_ALG, _JWE_ENC])
    except (JoseError, KeyInvalid, ValueError, TypeError, KeyError) as exc:
        raise PackageRefused(UNDECRYPTABLE, "decryption failed (wrong key or altered)") from exc
    return bytes(result.plaintext or b"")


def _find_sender(
    kid: str, trusted_sender_keys: Mapping[str, Sequence[Mapping[str, Any]]]
) -> tuple[str, Mapping[str, Any]]:
    for sender, keys in trusted_sender_keys.items():
        for jwk in keys:
            if jwk.get("kid") == kid:
                return sender, jwk
    raise PackageRefused(UNTRUSTED_SENDER, "signed with a key we do not trust")


def open_package(
    token: str | bytes,
    *,
    recipient_id: str,
    recipient_private_keys: Sequence[Mapping[str, Any]],
    trusted_sender_keys: Mapping[str, Sequence[Mapping[str, Any]]],
    now: datetime,
    seen: Callable[[str], bool],
    revoked_kids: Collection[str] = (),
    max_bytes: int = MAX_PACKAGE_BYTES,
) -> OpenedPackage:
    """Decrypt, verify and check a package addressed to ``recipient_id``, or refuse it.

    ``trusted_sender_keys`` maps each trusted partner's deployment id to its
    current (not revoked) public signing JWKs, each with its ``kid``;
    ``revoked_kids`` lets the refusal say "revoked" rather than "untrusted".
    ``seen(package_id)`` tells whether that package was imported before.
    Raises ``PackageRefused`` with the first reason found.
    """
    _require_aware(now, "now")
    if isinstance(token, bytes):
        if len(token) > max_bytes:
            raise PackageRefused(TOO_LARGE, "the package is too large")
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise PackageRefused(UNDECRYPTABLE, "not a compact JWE") from exc
    token = token.strip()
    if len(token.encode("utf-8")) > max_bytes:
        raise PackageRefused(TOO_LARGE, "the package is too large")
    signed = _decrypt(token, recipient_private_keys)

    parts = signed.split(b".")
    if len(parts) != 3:
        raise PackageRefused(BAD_SIGNATURE, "the content is not a compact JWS")
    try:
        header = _b64_json(parts[0].decode("ascii"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise PackageRefused(BAD_SIGNATURE, "unreadable JWS header") from exc
    if not isinstance(header, dict) or header.get("alg") != _JWS_ALG:
        raise PackageRefused(BAD_SIGNATURE, "unexpected signature algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise PackageRefused(UNTRUSTED_SENDER, "the signature names no key")
    if kid in revoked_kids:
        raise PackageRefused(REVOKED_KEY, "signed with a revoked key")
    sender, sender_jwk = _find_sender(kid, trusted_sender_keys)
    try:
        verified = jws.deserialize_compact(
            signed, signing_key(sender_jwk, private=False), algorithms=[_JWS_ALG]
        )
    except (JoseError, KeyInvalid, ValueError, TypeError) as exc:
        raise PackageRefused(BAD_SIGNATURE, "the signature does not verify") from exc

    try:
        claims = json.loads(verified.payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageRefused(UNKNOWN_SCHEMA, "the claims are not JSON") from exc
    if (
        not isinstance(claims, dict)
        or set(claims) != _CLAIMS
        or claims["v"] != SCHEMA_VERSION
        or claims["kind"] not in KINDS
        or header.get("typ") != _JWS_TYP
    ):
        raise PackageRefused(UNKNOWN_SCHEMA, "unknown package schema, version or kind")
    if claims["iss"] != sender:
        raise PackageRefused(UNTRUSTED_SENDER, "the sender is not the owner of the signing key")
    if claims["aud"] != recipient_id:
        raise PackageRefused(WRONG_RECIPIENT, "the package is addressed to another deployment")
    for name in ("iat", "exp"):
        if isinstance(claims[name], bool) or not isinstance(claims[name], int):
            raise PackageRefused(UNKNOWN_SCHEMA, f"{name} is not a time")
    if not isinstance(claims["jti"], str) or not 0 < len(claims["jti"]) <= 64:
        raise PackageRefused(UNKNOWN_SCHEMA, "the package id is missing")
    try:
        issued = datetime.fromtimestamp(claims["iat"], tz=UTC)
        expires = datetime.fromtimestamp(claims["exp"], tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PackageRefused(UNKNOWN_SCHEMA, "the times are out of range") from exc
    if expires <= now:
        raise PackageRefused(EXPIRED, "the package has expired")
    if issued > now + CLOCK_SKEW or expires - issued > MAX_LIFETIME:
        raise PackageRefused(NOT_YET_VALID, "the package's times are not plausible")
    if seen(claims["jti"]):
        raise PackageRefused(REPLAYED, "this package was imported before")
    try:
        body = validate_payload(claims["kind"], claims["body"])
    except PayloadInvalid as exc:
        raise PackageRefused(exc.reason, exc.message) from exc
    return OpenedPackage(
        package_id=claims["jti"],
        kind=claims["kind"],
        sender_id=sender,
        recipient_id=recipient_id,
        issued_at=issued,
        expires_at=expires,
        signing_kid=kid,
        payload=body,
    )
