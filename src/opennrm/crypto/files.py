"""Files encrypted at rest (case attachments, uploads waiting for the import worker).

Pure: no Django (the caller passes the folder and the keys). A file is encrypted in
chunks of ``CHUNK`` bytes; each chunk is one Fernet token on its own line (base64url, so
no newline inside), written to disk as it is produced, so neither writing nor reading
ever holds the whole file in memory and the plaintext never touches the disk. The first
key encrypts, all of them decrypt (key rotation: :func:`reencrypt`, counted by
:class:`Reencrypted`).

Read back either as chunks (:func:`read_decrypted`, a streaming download) or as a binary
file object (:func:`open_decrypted`, for a parser that reads, peeks and wraps a file in a
text reader). The stream cannot seek: a reader that needs to go back must keep what it
read itself (none of the import formats does).
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

CHUNK = 64 * 1024


class NoKey(Exception):
    """No file key configured, or none of the configured keys decrypts the file."""


class Damaged(InvalidToken):
    """A chunk after the first does not decrypt although the first one did: the file
    was altered or cut on the disk. What was read before it is sound (each chunk is
    authenticated on its own)."""


def cipher(keys: Sequence[str]) -> MultiFernet:
    usable = [k.strip() for k in keys if k.strip()]
    if not usable:
        raise NoKey
    return MultiFernet([Fernet(k.encode("ascii")) for k in usable])


@dataclass(frozen=True)
class Stored:
    storage_name: str
    size: int
    sha256: str


def store_encrypted(
    chunks: Iterable[bytes], *, directory: Path, keys: Sequence[str], suffix: str = ".enc"
) -> Stored:
    """Encrypt ``chunks`` to a new file in ``directory`` under a random name ending in
    ``suffix``; the plaintext never touches disk. If ``chunks`` raises (a size limit
    counted by the caller), the partial file is removed and the error goes on."""
    fernet = cipher(keys)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = secrets.token_hex(20) + suffix
    path = directory / name
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in rechunk(chunks):
                digest.update(chunk)
                size += len(chunk)
                out.write(fernet.encrypt(chunk) + b"\n")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Stored(storage_name=name, size=size, sha256=digest.hexdigest())


def rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` cut again into pieces of ``CHUNK`` bytes (the last one shorter)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= CHUNK:
            yield buffer[:CHUNK]
            buffer = buffer[CHUNK:]
    if buffer:
        yield buffer


def read_decrypted(storage_name: str, *, directory: Path, keys: Sequence[str]) -> Iterator[bytes]:
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
                yield _decrypt_later(fernet, token)


def _decrypt_later(fernet: MultiFernet, token: bytes) -> bytes:
    try:
        return fernet.decrypt(token)
    except InvalidToken as error:
        raise Damaged from error


class DecryptingReader(io.RawIOBase):
    """A file written by :func:`store_encrypted`, read as its plaintext (unseekable).

    Holds one decrypted chunk at a time. Raises :class:`NoKey` when it is opened and
    no configured key decrypts the file's first chunk; a later chunk that does not
    decrypt (the file was altered or cut) raises :class:`Damaged`."""

    def __init__(self, path: str | os.PathLike[str], *, keys: Sequence[str]) -> None:
        super().__init__()
        self._fernet = cipher(keys)
        self._source: IO[bytes] = Path(path).open("rb")  # noqa: SIM115 - closed in close()
        self._chunk = b""
        self._at = 0
        try:
            self._next(first=True)
        except InvalidToken as error:
            self._source.close()
            raise NoKey from error
        except BaseException:
            self._source.close()
            raise

    def _next(self, *, first: bool = False) -> bool:
        """Decrypt the next chunk; False at the end of the file."""
        while True:
            line = self._source.readline()
            if not line:
                self._chunk, self._at = b"", 0
                return False
            token = line.strip()
            if token:
                plain = (
                    self._fernet.decrypt(token) if first else _decrypt_later(self._fernet, token)
                )
                self._chunk, self._at = plain, 0
                return True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._at >= len(self._chunk) and not self._next():
            return 0
        count = min(len(view), len(self._chunk) - self._at)
        view[:count] = self._chunk[self._at : self._at + count]
        self._at += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._source.close()
            self._chunk = b""
        super().close()


def open_decrypted(path: str | os.PathLike[str], *, keys: Sequence[str]) -> io.BufferedReader:
    """A buffered binary file object of the plaintext of ``path`` (``read``, ``peek``,
    ``readline``, usable by :class:`io.TextIOWrapper`; not ``seek``)."""
    return io.BufferedReader(DecryptingReader(path, keys=keys), buffer_size=CHUNK)


def reencrypt(storage_name: str, *, directory: Path, keys: Sequence[str]) -> bool:
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


@dataclass
class Reencrypted:
    """What a key rotation did with a set of stored files (counts only: no name, no key)."""

    rotated: int = 0  # re-encrypted under the first key
    current: int = 0  # under it already (or empty)
    missing: int = 0  # not on disk (removed meanwhile)
    undecryptable: int = 0  # under no configured key: left as it is

    def reencrypt(self, storage_name: str, *, directory: Path, keys: Sequence[str]) -> None:
        """:func:`reencrypt` one file and count what became of it."""
        try:
            rotated = reencrypt(storage_name, directory=directory, keys=keys)
        except FileNotFoundError:
            self.missing += 1
        except InvalidToken:  # under a key no longer configured: left as it is
            self.undecryptable += 1
        else:
            if rotated:
                self.rotated += 1
            else:
                self.current += 1


def delete(storage_name: str, *, directory: Path) -> None:
    (directory / Path(storage_name).name).unlink(missing_ok=True)
