"""Attachment storage: type by magic bytes, Fernet encryption at rest, ClamAV INSTREAM.

Each file is encrypted in chunks of ``CHUNK`` bytes; each chunk is one Fernet token on
its own line (base64url, so no newline inside), written to disk as it is produced. The
first key of ``OPENNRM_FILE_KEYS`` encrypts, all of them decrypt (key rotation)."""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

CHUNK = 64 * 1024

#: allowed types: content type → magic prefixes
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class NoKey(Exception):
    """No file key configured."""


class ScanFailed(Exception):
    """The virus scanner could not be reached or answered something unexpected."""


def sniff(head: bytes) -> str | None:
    """The content type from the first bytes, or None when it is not allowed."""
    for content_type, prefixes in _MAGIC.items():
        if any(head.startswith(p) for p in prefixes):
            return content_type
    return None


def cipher(keys: list[str]) -> MultiFernet:
    usable = [k.strip() for k in keys if k.strip()]
    if not usable:
        raise NoKey
    return MultiFernet([Fernet(k.encode("ascii")) for k in usable])


@dataclass(frozen=True)
class Stored:
    storage_name: str
    size: int
    sha256: str


def store_encrypted(chunks: Iterable[bytes], *, directory: Path, keys: list[str]) -> Stored:
    """Encrypt ``chunks`` to a new file in ``directory``; the plaintext never touches disk."""
    fernet = cipher(keys)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = secrets.token_hex(20) + ".enc"
    path = directory / name
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in _rechunk(chunks):
                digest.update(chunk)
                size += len(chunk)
                out.write(fernet.encrypt(chunk) + b"\n")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Stored(storage_name=name, size=size, sha256=digest.hexdigest())


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= CHUNK:
            yield buffer[:CHUNK]
            buffer = buffer[CHUNK:]
    if buffer:
        yield buffer


def read_decrypted(storage_name: str, *, directory: Path, keys: list[str]) -> Iterator[bytes]:
    """The plaintext, chunk by chunk (for a streaming download)."""
    fernet = cipher(keys)
    source = (directory / Path(storage_name).name).open("rb")
    first = source.readline().strip()
    try:
        head = fernet.decrypt(first) if first else b""
    except InvalidToken as error:
        source.close()
        raise NoKey from error
    return _rest(fernet, source, head)


def _rest(fernet: MultiFernet, source: Any, head: bytes) -> Iterator[bytes]:
    with source:
        if head:
            yield head
        for line in source:
            token = line.strip()
            if token:
                yield fernet.decrypt(token)


def reencrypt(storage_name: str, *, directory: Path, keys: list[str]) -> bool:
    """Re-encrypt a stored file under the first key (False: it was under it already).

    The new file is written beside the old one and renamed over it, so a crash leaves
    either the old or the new file, both readable with the configured keys."""
    fernet = cipher(keys)
    current = Fernet(next(k.strip() for k in keys if k.strip()).encode("ascii"))
    path = directory / Path(storage_name).name
    with path.open("rb") as source:
        first = source.readline().strip()
    if not first:
        return False
    try:
        current.decrypt(first)
    except InvalidToken:
        pass
    else:
        return False
    temporary = path.with_name(path.name + ".rotating")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as source:
            for line in source:
                token = line.strip()
                if token:
                    out.write(fernet.rotate(token) + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


def delete(storage_name: str, *, directory: Path) -> None:
    (directory / Path(storage_name).name).unlink(missing_ok=True)


def clamd_scan(chunks: Iterable[bytes], *, socket_path: str, timeout: float = 30.0) -> str | None:
    """Scan with clamd's INSTREAM over a unix socket: None if clean, else the signature."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            sock.sendall(b"zINSTREAM\0")
            for chunk in _rechunk(chunks):
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
