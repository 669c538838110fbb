"""A gzip WARC "bomb": a few hundred KB on disk that unpacks to hundreds of MB.

Good HTML responses before and after one response whose body is zeros; each record is its
own gzip member, as crawlers write them. The zeros are compressed as they are made, so
writing the file never holds them in memory."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

ZEROS = 300 * 1024 * 1024  # unpacked; about 300 KB packed


def _good(writer, i: int) -> None:
    from warcio.statusandheaders import StatusAndHeaders

    body = (
        f"<html><body><p>Робота в Польщі, оголошення {i}, житло безкоштовно</p></body></html>"
    ).encode()
    headers = StatusAndHeaders(
        "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.0"
    )
    writer.write_record(
        writer.create_warc_record(
            f"http://example.org/job/{i}",
            "response",
            payload=io.BytesIO(body),
            http_headers=headers,
        )
    )


def _zeros_member(fh, zeros: int) -> None:
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
    head = (
        "WARC/1.0\r\n"
        "WARC-Type: response\r\n"
        "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000bad>\r\n"
        "WARC-Target-URI: http://example.org/bomb\r\n"
        "WARC-Date: 2024-01-01T00:00:00Z\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http) + zeros}\r\n\r\n"
    ).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip member
    fh.write(packer.compress(head + http))
    chunk = bytes(1024 * 1024)
    left = zeros
    while left:
        step = min(left, len(chunk))
        fh.write(packer.compress(chunk[:step]))
        left -= step
    fh.write(packer.compress(b"\r\n\r\n"))
    fh.write(packer.flush())


def warc_bomb(path: Path, *, before: int = 5, after: int = 5, zeros: int = ZEROS) -> Path:
    """``before`` good posts, the bomb (record ``before + 1``), ``after`` good posts."""
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(before):
            _good(writer, i)
        _zeros_member(fh, zeros)
        for i in range(before, before + after):
            _good(writer, i)
    return path
