"""Large uploads wait for their view encrypted, never as a plain temporary file.

Django writes an upload larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (here
``OPENNRM_MAX_BODY_BYTES``) to a temporary file in clear while the request is read; an
import of monitored posts (up to ``OPENNRM_MAX_UPLOAD_BYTES``) lay there in clear for
the length of the request, where a file-system snapshot or backup could catch it.
:class:`EncryptedTemporaryUploadHandler` (in ``FILE_UPLOAD_HANDLERS``, after the memory
handler for small files) writes it instead in the chunked Fernet format of
:mod:`opennrm.crypto.files`, under a key made for this one upload and held only in the
process's memory: what is left on disk after a crash is unreadable by anyone, and the
file is removed when the view closes it (Django closes every upload at the end of the
request). The view reads the plaintext as a stream, as from any uploaded file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

from opennrm.crypto.files import CHUNK, open_decrypted


class EncryptedUploadedFile(UploadedFile):
    """An upload stored encrypted under its own key; read (``read``, ``chunks``, also
    more than once: each pass starts again at the beginning) as its plaintext. Closing
    it removes the encrypted file."""

    def __init__(self, path: str, key: bytes, size: int, **kwargs: Any) -> None:
        self._path = path
        self._key = key.decode("ascii")
        super().__init__(file=self._open(), size=size, **kwargs)

    def _open(self) -> Any:
        return open_decrypted(self._path, keys=[self._key])

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Only back to the start (a fresh decrypting reader): enough for Django's
        ``chunks()`` and for a caller that sniffs the head and reads again."""
        if offset != 0 or whence != os.SEEK_SET:
            raise OSError("an encrypted upload can only go back to its start")
        self.file.close()
        self.file = self._open()
        return 0

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.seek(0)
        while data := self.file.read(chunk_size or self.DEFAULT_CHUNK_SIZE):
            yield data

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    def close(self) -> None:
        try:
            self.file.close()
        finally:
            Path(self._path).unlink(missing_ok=True)


class EncryptedTemporaryUploadHandler(FileUploadHandler):
    """Takes what the memory handler before it leaves (uploads over
    ``FILE_UPLOAD_MAX_MEMORY_SIZE``) and writes it encrypted as it arrives."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._key = Fernet.generate_key()
        self._fernet = Fernet(self._key)
        fd, self._path = tempfile.mkstemp(
            suffix=".upload", dir=getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
        )
        self._out = os.fdopen(fd, "wb")
        self._buffer = bytearray()
        self._size = 0
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._size += len(raw_data)
        self._buffer += raw_data
        while len(self._buffer) >= CHUNK:
            self._write(bytes(self._buffer[:CHUNK]))
            del self._buffer[:CHUNK]

    def _write(self, chunk: bytes) -> None:
        self._out.write(self._fernet.encrypt(chunk) + b"\n")

    def file_complete(self, file_size: int) -> EncryptedUploadedFile:
        if self._buffer:
            self._write(bytes(self._buffer))
            self._buffer.clear()
        self._out.close()
        return EncryptedUploadedFile(
            self._path,
            self._key,
            self._size,
            name=self.file_name,
            content_type=self.content_type,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def upload_interrupted(self) -> None:
        if hasattr(self, "_out"):
            self._out.close()
            Path(self._path).unlink(missing_ok=True)
