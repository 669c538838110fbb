"""Keys of a deployment: an Ed25519 signing key and an X25519 encryption key, as JWKs.

Every key's ``kid`` is its RFC 7638 thumbprint, so a key id can never be
claimed for another key. A deployment's *fingerprint* binds its id to both
public keys; people compare it over a second channel (phone, letter) before
trusting a partner.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

SIGNING_CURVE: Final = "Ed25519"
ENCRYPTION_CURVE: Final = "X25519"
_PUBLIC_MEMBERS = ("kty", "crv", "x")


class KeyInvalid(ValueError):
    """A JWK that is not the kind of key expected here."""


def _import(jwk: Mapping[str, Any], curve: str, *, private: bool) -> OKPKey:
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != curve:
        raise KeyInvalid(f"expected an OKP {curve} key")
    if private and "d" not in jwk:
        raise KeyInvalid(f"expected a private {curve} key")
    members = {k: jwk[k] for k in (*_PUBLIC_MEMBERS, "d") if k in jwk}
    if not private:
        members.pop("d", None)
    try:
        return OKPKey.import_key(members)
    except (JoseError, ValueError, TypeError) as exc:
        raise KeyInvalid(f"not a valid {curve} key") from exc


def key_id(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of a key's public part."""
    curve = jwk.get("crv") if isinstance(jwk, Mapping) else None
    if curve not in (SIGNING_CURVE, ENCRYPTION_CURVE):
        raise KeyInvalid("expected an Ed25519 or X25519 key")
    return str(_import(jwk, str(curve), private=False).thumbprint())


def public_jwk(jwk: Mapping[str, Any]) -> dict[str, str]:
    """The public part of a key, with its thumbprint as ``kid``; never the private ``d``."""
    kid = key_id(jwk)
    return {"kty": "OKP", "crv": str(jwk["crv"]), "x": str(jwk["x"]), "kid": kid}


def signing_key(jwk: Mapping[str, Any], *, private: bool) -> OKPKey:
    return _import(jwk, SIGNING_CURVE, private=private)


def encryption_key(jwk: Mapping[str, Any], *, private: bool) -> OKPKey:
    return _import(jwk, ENCRYPTION_CURVE, private=private)


@dataclass(frozen=True)
class PublicKeys:
    """What a deployment publishes: its id and its two public keys."""

    deployment_id: str
    signing: dict[str, str]
    encryption: dict[str, str]

    @property
    def signing_kid(self) -> str:
        return self.signing["kid"]

    @property
    def encryption_kid(self) -> str:
        return self.encryption["kid"]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.deployment_id, self.signing, self.encryption)


@dataclass(frozen=True)
class KeyPair:
    """One generation of a deployment's private keys (private JWKs with ``kid``)."""

    signing: dict[str, str]
    encryption: dict[str, str]

    @property
    def signing_kid(self) -> str:
        return self.signing["kid"]

    @property
    def encryption_kid(self) -> str:
        return self.encryption["kid"]

    def public(self, deployment_id: str) -> PublicKeys:
        return PublicKeys(deployment_id, public_jwk(self.signing), public_jwk(self.encryption))


def _private_dict(key: OKPKey) -> dict[str, str]:
    data = {k: str(v) for k, v in key.as_dict(private=True).items() if k in (*_PUBLIC_MEMBERS, "d")}
    data["kid"] = str(key.thumbprint())
    return data


def generate_keys() -> KeyPair:
    """A fresh Ed25519 signing key and X25519 encryption key (from the OS random source)."""
    return KeyPair(
        signing=_private_dict(OKPKey.generate_key(SIGNING_CURVE, private=True)),
        encryption=_private_dict(OKPKey.generate_key(ENCRYPTION_CURVE, private=True)),
    )


def load_key_pair(signing: Mapping[str, Any], encryption: Mapping[str, Any]) -> KeyPair:
    """Check two private JWKs (e.g. read from a key file) and give them their ``kid``."""
    return KeyPair(
        signing=_private_dict(_import(signing, SIGNING_CURVE, private=True)),
        encryption=_private_dict(_import(encryption, ENCRYPTION_CURVE, private=True)),
    )


def fingerprint(
    deployment_id: str, signing_public: Mapping[str, Any], encryption_public: Mapping[str, Any]
) -> str:
    """A deployment's fingerprint for people: 32 hex digits in groups of four.

    SHA-256 over the deployment id and both key thumbprints; a different id or
    a different key gives a different fingerprint.
    """
    material = "\n".join(
        ("opennrm-exchange-v1", deployment_id, key_id(signing_public), key_id(encryption_public))
    )
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:32].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def normalise_fingerprint(text: str) -> str:
    """Ignore spaces, dashes, colons and case in a typed fingerprint."""
    return "".join(ch for ch in text.upper() if ch not in " -:\t\n")


def fingerprints_match(typed: str, expected: str) -> bool:
    return hmac.compare_digest(
        normalise_fingerprint(typed).encode(), normalise_fingerprint(expected).encode()
    )
