"""Small files of each kind, and a case shared with another agency for a purpose."""

from __future__ import annotations

from opennrm.cases.models import Case
from tests.cases.helpers import open_case, share

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"SECRET-PLAINTEXT-MARKER " * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HTML = b"<html><script>alert(1)</script></html>"


def chunks_of(data: bytes, size: int = 7):
    """An uploaded file's ``chunks`` method, for services called directly."""

    def chunks():
        for i in range(0, len(data), size):
            yield data[i : i + size]

    return chunks


def coordination_case(world, *, purpose: str | None = None, to=None) -> Case:
    """A case owned by the coordination office; optionally shared with ``to`` for ``purpose``."""
    case = open_case(world.case_manager)
    if purpose:
        share(case, world.case_manager, to, purpose)
    return case
