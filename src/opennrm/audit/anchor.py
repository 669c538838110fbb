"""Signed checkpoints: anchor the audit chain outside the database.

The hash chain alone shows that the log is *self-consistent*; someone who can
write to the database can rewrite an entry and recompute every later hash and
the head row, and the chain still verifies. A checkpoint is the chain's
position and head hash at a moment, signed with an Ed25519 key that is never
stored in the database, and kept somewhere the database's owner cannot rewrite
(a file on another volume, syslog). Verifying the log against a checkpoint
fails as soon as the log no longer contains that state: the entry at that
position is missing or its hash differs.

Keys are identified by a key id (the first 16 hex digits of SHA-256 over the
raw public key), so a deployment can rotate: sign with the new key, keep the
old public keys in the verifying set.

This module imports no Django: keys and the clock are passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

FORMAT = "opennrm-audit-checkpoint/1"
_FIELDS = ("format", "seq", "head_hash", "at", "key_id")


class AuditKeyError(ValueError):
    """A signing or verifying key that cannot be read."""


class CheckpointError(ValueError):
    """A checkpoint document that is malformed or whose signature does not hold."""


# --- keys ---------------------------------------------------------------------


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(public)).hexdigest()[:16]


def public_key_text(public: Ed25519PublicKey) -> str:
    """The public key as one base64 line (what goes into OPENNRM_AUDIT_VERIFY_KEYS)."""
    return base64.b64encode(_raw_public(public)).decode("ascii")


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(text: str | bytes) -> Ed25519PrivateKey:
    """A PKCS#8 PEM private key, or the 32-byte seed in base64 (one line)."""
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    data = data.strip()
    if data.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise AuditKeyError("the audit signing key is not a readable PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError("the audit signing key is not an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise AuditKeyError("the audit signing key is neither PEM nor base64") from exc
    if len(seed) != 32:
        raise AuditKeyError("a base64 audit signing key must hold exactly 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_public_key(text: str) -> Ed25519PublicKey:
    """A raw public key in base64, or a PEM public key."""
    data = text.strip().encode("ascii", "replace")
    if data.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise AuditKeyError("an audit verifying key is not a readable PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError("an audit verifying key is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(data, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise AuditKeyError("an audit verifying key is not a 32-byte base64 Ed25519 key") from exc


@dataclass(frozen=True)
class KeyRing:
    """The key that signs new checkpoints (if any) and every key accepted for verifying."""

    signing: Ed25519PrivateKey | None
    verifying: Mapping[str, Ed25519PublicKey]

    @property
    def signing_key_id(self) -> str | None:
        return key_id(self.signing.public_key()) if self.signing is not None else None


def keyring_from(
    *,
    key_file: str = "",
    key_text: str = "",
    verify_keys: Iterable[str] = (),
) -> KeyRing:
    """Build the key ring from configuration (file path or key text; old public keys)."""
    signing: Ed25519PrivateKey | None = None
    if key_file:
        try:
            signing = load_private_key(Path(key_file).read_bytes())
        except OSError as exc:
            raise AuditKeyError(
                f"cannot read the audit key file {key_file}: {exc.strerror}"
            ) from exc
    elif key_text:
        signing = load_private_key(key_text)
    verifying: dict[str, Ed25519PublicKey] = {}
    if signing is not None:
        verifying[key_id(signing.public_key())] = signing.public_key()
    for text in verify_keys:
        if text.strip():
            public = load_public_key(text)
            verifying[key_id(public)] = public
    return KeyRing(signing=signing, verifying=verifying)


# --- checkpoints ----------------------------------------------------------------


def _signed_bytes(doc: Mapping[str, Any]) -> bytes:
    payload = {name: doc[name] for name in _FIELDS}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def checkpoint_sign(
    *, seq: int, head_hash: str, private: Ed25519PrivateKey, now: Callable[[], datetime]
) -> dict[str, Any]:
    """A signed checkpoint document for the chain position ``seq`` with hash ``head_hash``."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "seq": seq,
        "head_hash": head_hash,
        "at": now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key_id": key_id(private.public_key()),
    }
    doc["signature"] = base64.b64encode(private.sign(_signed_bytes(doc))).decode("ascii")
    return doc


def checkpoint_check_signature(doc: Any, keys: Mapping[str, Ed25519PublicKey]) -> None:
    """Raise CheckpointError unless ``doc`` is well-formed and signed by a known key."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError("not an OpenNRM audit checkpoint")
    seq, head_hash = doc.get("seq"), doc.get("head_hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise CheckpointError("the checkpoint has no valid sequence number")
    if not isinstance(head_hash, str) or len(head_hash) != 64:
        raise CheckpointError("the checkpoint has no valid head hash")
    for name in ("at", "key_id", "signature"):
        if not isinstance(doc.get(name), str):
            raise CheckpointError(f"the checkpoint has no {name}")
    public = keys.get(doc["key_id"])
    if public is None:
        raise CheckpointError(
            f"signed with key {doc['key_id']}, which is not among the accepted verifying keys"
        )
    try:
        signature = base64.b64decode(doc["signature"], validate=True)
        public.verify(signature, _signed_bytes(doc))
    except (binascii.Error, InvalidSignature) as exc:
        raise CheckpointError("the signature does not match (checkpoint forged or edited)") from exc


def checkpoint_problem(doc: Mapping[str, Any], *, hash_at: str | None, last_seq: int) -> str | None:
    """Why the log no longer contains the state of a (signature-checked) checkpoint, or None.

    ``hash_at`` is the stored hash of the log's entry at the checkpoint's position
    (None when there is no such entry); ``last_seq`` is where the log ends now.
    """
    seq = doc["seq"]
    where = f"checkpoint #{seq} of {doc['at']} (key {doc['key_id']})"
    if seq == 0:
        return None
    if hash_at is None:
        if last_seq < seq:
            return (
                f"{where}: the log ends at #{last_seq}, before the signed position: entries "
                "were removed from the end or the database was rolled back to an older copy"
            )
        return f"{where}: the log has no entry #{seq} any more (entries removed)"
    if hash_at != doc["head_hash"]:
        return (
            f"{where}: entry #{seq} no longer has the signed hash: the log was rewritten "
            f"at or before #{seq}"
        )
    return None


def read_checkpoints(text: str, *, source: str) -> list[dict[str, Any]]:
    """Checkpoints from a JSON document or a JSON-lines append log."""
    text = text.strip()
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        return [parsed]
    docs: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CheckpointError(f"{source}, line {number}: not JSON") from exc
        if not isinstance(item, dict):
            raise CheckpointError(f"{source}, line {number}: not a checkpoint")
        docs.append(item)
    return docs


def checkpoint_line(doc: Mapping[str, Any]) -> str:
    return json.dumps(dict(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
