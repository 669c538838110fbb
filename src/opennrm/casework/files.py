"""Attachment storage: type by magic bytes, Fernet encryption at rest, ClamAV INSTREAM.

The encryption itself is :mod:`opennrm.crypto.files` (shared with the uploads waiting for
the import worker): each file is encrypted in chunks, one Fernet token a line, written to
disk as it is produced. The first key of ``OPENNRM_FILE_KEYS`` encrypts, all of them
decrypt (key rotation)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable

from opennrm.crypto.files import (
    CHUNK,
    NoKey,
    Stored,
    cipher,
    delete,
    read_decrypted,
    rechunk,
    reencrypt,
    store_encrypted,
)

__all__ = [
    "CHUNK",
    "EXTENSIONS",
    "NoKey",
    "ScanFailed",
    "Stored",
    "cipher",
    "clamd_scan",
    "delete",
    "read_decrypted",
    "reencrypt",
    "sniff",
    "store_encrypted",
]

#: allowed types: content type → magic prefixes
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class ScanFailed(Exception):
    """The virus scanner could not be reached or answered something unexpected."""


def sniff(head: bytes) -> str | None:
    """The content type from the first bytes, or None when it is not allowed."""
    for content_type, prefixes in _MAGIC.items():
        if any(head.startswith(p) for p in prefixes):
            return content_type
    return None


def clamd_scan(chunks: Iterable[bytes], *, socket_path: str, timeout: float = 30.0) -> str | None:
    """Scan with clamd's INSTREAM over a unix socket: None if clean, else the signature."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            sock.sendall(b"zINSTREAM\0")
            for chunk in rechunk(chunks):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as error:
        raise ScanFailed(str(error)) from error
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith("OK"):
        return None
    if text.endswith("FOUND"):
        return text.split(":", 1)[-1].removesuffix("FOUND").strip()[:100]
    raise ScanFailed(text[:100])
