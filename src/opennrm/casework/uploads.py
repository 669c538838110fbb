"""An upload handler that keeps an attachment in memory, never in a temporary file:
Django writes uploads over ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to disk in plain text, which
would defeat encryption at rest. Bytes beyond the attachment limit are counted, not kept;
the service then refuses the file as too large."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers


class CappedMemoryUploadHandler(FileUploadHandler):
    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.limit = settings.OPENNRM_ATTACHMENT_MAX_BYTES

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = BytesIO()
        self.received = 0
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received <= self.limit:
            self.file.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,  # the real size, even where the bytes were not kept
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
