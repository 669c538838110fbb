"""Streaming authenticated encryption for backup files (no Django).

A sealed file is ``MAGIC``, a length-prefixed JSON header, then chunks. Each chunk is
AES-256-GCM under a key derived for this file alone (HKDF-SHA256 of the master key with
a random salt from the header), with a counter nonce; its associated data binds the
header, the chunk's position and whether it is the last one. Changing, removing,
reordering or appending a chunk, cutting the file short or editing the header makes
decryption fail. Memory use is one chunk, whatever the size of the plaintext.

The master key is 32 random bytes, given base64-encoded (``OPENNRM_BACKUP_KEY``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"OPENNRM-BACKUP\x00\x01"
FORMAT = 1
CHUNK = 1024 * 1024
_MAX_HEADER = 64 * 1024
_LEN = struct.Struct(">I")
_INFO = b"opennrm backup v1"


class SealError(Exception):
    """The file cannot be opened: wrong key, damaged or altered, or not a backup."""


def generate_key() -> str:
    """A new master key, base64-encoded (for ``OPENNRM_BACKUP_KEY``)."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def parse_key(text: str) -> bytes:
    """The 32-byte master key from its base64 text (standard or URL-safe alphabet)."""
    cleaned = "".join(text.split())
    if not cleaned:
        raise SealError("no backup key: set OPENNRM_BACKUP_KEY (make one with --generate-key)")
    try:
        key = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SealError("OPENNRM_BACKUP_KEY is not valid base64") from exc
    if len(key) != 32:
        raise SealError(f"OPENNRM_BACKUP_KEY must hold 32 bytes, not {len(key)}")
    return key


def key_id(key: bytes) -> str:
    """A short public name of a key (not secret: it only tells keys apart)."""
    return hashlib.sha256(b"opennrm backup key id\x00" + key).hexdigest()[:16]


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(key)
    return AESGCM(derived)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">Q", index)


def _aad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, 1 if last else 0)


class SealedWriter:
    """A binary file-like object: what is written is encrypted chunk by chunk to ``sink``.

    Call ``close()`` (or use ``with``) to write the final chunk; without it the file
    does not decrypt (a cut-short file is refused).
    """

    def __init__(self, sink: IO[bytes], key: bytes, *, chunk_size: int = CHUNK) -> None:
        self._sink = sink
        salt = os.urandom(16)
        self._prefix = os.urandom(4)
        header = json.dumps(
            {
                "format": FORMAT,
                "cipher": "AES-256-GCM",
                "kdf": "HKDF-SHA256",
                "salt": base64.b64encode(salt).decode("ascii"),
                "nonce_prefix": base64.b64encode(self._prefix).decode("ascii"),
                "chunk_size": chunk_size,
                "key_id": key_id(key),
            },
            sort_keys=True,
        ).encode("utf-8")
        self._digest = hashlib.sha256(MAGIC + header).digest()
        self._aead = _file_key(key, salt)
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        sink.write(MAGIC + _LEN.pack(len(header)) + header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        if self._closed:
            raise ValueError("write to a closed backup")
        self._buffer += data
        while len(self._buffer) > self._chunk_size:
            self._emit(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def flush(self) -> None:
        self._sink.flush()

    def _emit(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(
            _nonce(self._prefix, self._index), plain, _aad(self._digest, self._index, last)
        )
        self._sink.write(_LEN.pack(len(sealed)) + (b"\x01" if last else b"\x00") + sealed)
        self._index += 1

    def close(self) -> None:
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True
            self._sink.flush()

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()


def read_header(source: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """The header of a sealed file and the digest its chunks are bound to."""
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        raise SealError("not an OpenNRM backup file (or a format this version cannot read)")
    raw_len = source.read(_LEN.size)
    if len(raw_len) != _LEN.size:
        raise SealError("the backup file is cut short")
    (length,) = _LEN.unpack(raw_len)
    if length > _MAX_HEADER:
        raise SealError("the backup file is damaged (header too large)")
    header_bytes = source.read(length)
    try:
        header = json.loads(header_bytes)
    except ValueError as exc:
        raise SealError("the backup file is damaged (header unreadable)") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SealError("a backup format this version cannot read")
    return header, hashlib.sha256(MAGIC + header_bytes).digest()


def open_chunks(source: IO[bytes], key: bytes) -> Iterator[bytes]:
    """Decrypt a sealed file chunk by chunk; raises SealError at the first bad chunk.

    The caller must consume the iterator to the end before trusting the plaintext: only
    then is it known that nothing was cut off.
    """
    header, digest = read_header(source)
    if header.get("key_id") != key_id(key):
        raise SealError(
            "this backup was made with another key "
            f"(backup key id {header.get('key_id')}, OPENNRM_BACKUP_KEY has {key_id(key)})"
        )
    try:
        aead = _file_key(key, base64.b64decode(header["salt"]))
        prefix = base64.b64decode(header["nonce_prefix"])
        limit = int(header["chunk_size"]) + 16
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise SealError("the backup file is damaged (header incomplete)") from exc
    index = 0
    while True:
        raw = source.read(_LEN.size + 1)
        if len(raw) != _LEN.size + 1:
            raise SealError("the backup file is cut short (its last part is missing)")
        (length,) = _LEN.unpack(raw[: _LEN.size])
        last = raw[-1] == 1
        if length > limit or raw[-1] not in (0, 1):
            raise SealError(f"the backup file is damaged or was altered (part {index + 1})")
        sealed = source.read(length)
        if len(sealed) != length:
            raise SealError("the backup file is cut short (its last part is missing)")
        try:
            plain = aead.decrypt(_nonce(prefix, index), sealed, _aad(digest, index, last))
        except InvalidTag as exc:
            raise SealError(
                f"the backup file is damaged or was altered (part {index + 1} fails its check)"
            ) from exc
        yield plain
        index += 1
        if last:
            if source.read(1):
                raise SealError("the backup file was altered (data after its end)")
            return


class SealedReader:
    """A binary file-like object over the plaintext of a sealed file (for ``tarfile``)."""

    def __init__(self, source: IO[bytes], key: bytes) -> None:
        self._chunks = open_chunks(source, key)
        self._buffer = b""
        self._pos = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        wanted = size
        while wanted != 0:
            if self._pos >= len(self._buffer):
                if self._done:
                    break
                try:
                    self._buffer, self._pos = next(self._chunks), 0
                except StopIteration:
                    self._done = True
                    break
                continue
            end = len(self._buffer) if wanted < 0 else min(len(self._buffer), self._pos + wanted)
            parts.append(self._buffer[self._pos : end])
            if wanted > 0:
                wanted -= end - self._pos
            self._pos = end
        return b"".join(parts)

    def drain(self) -> None:
        """Read to the end, so that a cut or altered tail is detected."""
        while self.read(CHUNK):
            pass
