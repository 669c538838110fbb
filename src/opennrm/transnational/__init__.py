"""Transnational referral between OpenNRM deployments (pure library, no Django).

A package is signed by the sending deployment (JWS, Ed25519) and encrypted to
the receiving deployment (JWE, ECDH-ES with X25519, A256GCM); it carries one
referral holding only consented fields, or one receipt (a status answer), with
its issuer, audience, expiry and a one-time id. ``open_package`` refuses with
``PackageRefused(reason, message)`` unless every check passes.
"""

from opennrm.transnational._errors import REASONS, PackageRefused, PayloadInvalid
from opennrm.transnational._keys import (
    KeyInvalid,
    KeyPair,
    PublicKeys,
    fingerprint,
    fingerprints_match,
    generate_keys,
    key_id,
    load_key_pair,
    normalise_fingerprint,
    public_jwk,
)
from opennrm.transnational._package import (
    MAX_LIFETIME,
    MAX_PACKAGE_BYTES,
    OpenedPackage,
    open_package,
    seal,
)
from opennrm.transnational._schema import (
    EXPLOITATION_TYPES,
    KINDS,
    PURPOSES,
    RECEIPT,
    RECEIPT_STATUSES,
    REFERRAL,
    SCHEMA_VERSION,
    SHAREABLE_FIELDS,
    receipt_payload,
    referral_payload,
    validate_payload,
)

__all__ = [
    "EXPLOITATION_TYPES",
    "KINDS",
    "MAX_LIFETIME",
    "MAX_PACKAGE_BYTES",
    "PURPOSES",
    "REASONS",
    "RECEIPT",
    "RECEIPT_STATUSES",
    "REFERRAL",
    "SCHEMA_VERSION",
    "SHAREABLE_FIELDS",
    "KeyInvalid",
    "KeyPair",
    "OpenedPackage",
    "PackageRefused",
    "PayloadInvalid",
    "PublicKeys",
    "fingerprint",
    "fingerprints_match",
    "generate_keys",
    "key_id",
    "load_key_pair",
    "normalise_fingerprint",
    "open_package",
    "public_jwk",
    "receipt_payload",
    "referral_payload",
    "seal",
    "validate_payload",
]
