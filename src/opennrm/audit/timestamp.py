"""RFC 3161 time-stamps for signed audit checkpoints (optional).

A checkpoint signed with the deployment's own key proves what the log held, but
not *when* to someone who distrusts the deployment's clock: whoever holds the key
could sign a rewritten log and back-date the checkpoint. A time-stamp authority
(TSA) that signs the checkpoint's hash with its own key and clock closes that:
the stamp shows that this exact checkpoint existed at the TSA's time.

What is stamped is the checkpoint's canonical JSON without the stamp itself
(:func:`stamped_message`), so the stamp covers the position, head hash, time,
key id *and* the Ed25519 signature. The TSA's answer (a DER ``TimeStampResp``)
is stored in the checkpoint as ``timestamp = {"tsa": URL, "token": base64}``;
``opennrm audit checkpoint --output FILE`` also writes it beside the file as
``FILE.tsr`` for ``openssl ts -verify``.

Requests and verification use ``rfc3161-client`` (Trail of Bits; the TSA's
certificate chain, its critical time-stamping key usage, the message imprint and
the nonce are checked). This module imports no Django: the HTTP call is
injected, and the trusted TSA roots are passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import rfc3161_client
from cryptography import x509

#: POST ``body`` (a DER TimeStampReq) to ``url``; return the DER TimeStampResp.
Fetch = Callable[[str, bytes, float], bytes]

#: A stamp may not say the checkpoint existed before the checkpoint's own time.
_CLOCK_SLACK = timedelta(minutes=5)


class TimestampError(ValueError):
    """The TSA could not be reached, refused, or its stamp does not hold."""


def stamped_message(doc: Mapping[str, Any]) -> bytes:
    """The bytes a checkpoint's time-stamp covers: its canonical JSON without the stamp."""
    payload = {key: value for key, value in doc.items() if key != "timestamp"}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def http_fetch(url: str, body: bytes, timeout: float) -> bytes:
    """POST a time-stamp query over HTTP(S) (RFC 3161 section 3.4)."""
    if not url.startswith(("http://", "https://")):
        raise TimestampError("the time-stamp authority's address must be http:// or https://")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/timestamp-query"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return bytes(answer.read(1_000_000))
    except OSError as exc:
        raise TimestampError(f"the time-stamp authority did not answer: {exc}") from exc


def timestamp_checkpoint(
    doc: Mapping[str, Any], *, url: str, fetch: Fetch = http_fetch, timeout: float = 10.0
) -> dict[str, Any]:
    """The checkpoint with a time-stamp from the TSA at ``url`` (request with a nonce)."""
    request = (
        rfc3161_client.TimestampRequestBuilder()
        .data(stamped_message(doc))
        .hash_algorithm(rfc3161_client.HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    raw = fetch(url, request.as_bytes(), timeout)
    try:
        response = rfc3161_client.decode_timestamp_response(raw)
    except ValueError as exc:
        raise TimestampError("the time-stamp authority's answer is not a TimeStampResp") from exc
    if response.status not in (rfc3161_client.PKIStatus.GRANTED,):
        raise TimestampError(
            f"the time-stamp authority refused (status {response.status}): "
            + "; ".join(response.status_string)
        )
    if response.tst_info.nonce != request.nonce:
        raise TimestampError("the time-stamp authority answered another request (nonce)")
    if response.tst_info.message_imprint.message != hashlib.sha256(stamped_message(doc)).digest():
        raise TimestampError("the time-stamp authority stamped other data")
    stamped = dict(doc)
    stamped["timestamp"] = {
        "tsa": url,
        "token": base64.b64encode(response.as_bytes()).decode("ascii"),
    }
    return stamped


def load_roots(pem: bytes) -> list[x509.Certificate]:
    """The trusted TSA root certificates (a PEM bundle)."""
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise TimestampError("the TSA certificate file is not a PEM certificate bundle") from exc


@dataclass(frozen=True)
class StampCheck:
    time: datetime
    tsa: str


def timestamp_token(doc: Mapping[str, Any]) -> bytes | None:
    """The DER TimeStampResp stored in a checkpoint, or None when it has none."""
    stamp = doc.get("timestamp")
    if stamp is None:
        return None
    if not isinstance(stamp, dict) or not isinstance(stamp.get("token"), str):
        raise TimestampError("the checkpoint's time-stamp is malformed")
    try:
        return base64.b64decode(stamp["token"], validate=True)
    except binascii.Error as exc:
        raise TimestampError("the checkpoint's time-stamp is not base64") from exc


def timestamp_verify(doc: Mapping[str, Any], roots: Iterable[x509.Certificate]) -> StampCheck:
    """Check a checkpoint's stored time-stamp against the trusted TSA roots.

    Raises TimestampError unless the stamp is granted, signed by a time-stamping
    certificate that chains to one of ``roots``, covers exactly this checkpoint,
    and is not earlier than the checkpoint's own time (less a few minutes of slack).
    """
    raw = timestamp_token(doc)
    if raw is None:
        raise TimestampError("the checkpoint has no time-stamp")
    roots = list(roots)
    if not roots:
        raise TimestampError("no trusted TSA certificate configured")
    try:
        response = rfc3161_client.decode_timestamp_response(raw)
    except ValueError as exc:
        raise TimestampError("the stored time-stamp is not a TimeStampResp") from exc
    builder = rfc3161_client.VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify_message(response, stamped_message(doc))
    except (rfc3161_client.VerificationError, ValueError) as exc:
        raise TimestampError(f"the time-stamp does not hold: {exc}") from exc
    when = response.tst_info.gen_time
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    at = doc.get("at")
    if isinstance(at, str):
        try:
            signed_at = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError as exc:
            raise TimestampError("the checkpoint's time is malformed") from exc
        if when < signed_at - _CLOCK_SLACK:
            raise TimestampError(
                f"the time-stamp ({when.isoformat()}) is earlier than the checkpoint ({at})"
            )
    stamp = doc.get("timestamp") or {}
    return StampCheck(time=when, tsa=str(stamp.get("tsa", "")))
