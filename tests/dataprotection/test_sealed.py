"""The backup file's streaming encryption: round trip, and every change refused."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opennrm.dataprotection import sealed

KEY = sealed.parse_key(sealed.generate_key())


def _seal(data: bytes, chunk: int) -> bytes:
    out = io.BytesIO()
    with sealed.SealedWriter(out, KEY, chunk_size=chunk) as writer:
        for i in range(0, len(data), 7):
            writer.write(data[i : i + 7])
    return out.getvalue()


def _open(raw: bytes, key: bytes = KEY) -> bytes:
    reader = sealed.SealedReader(io.BytesIO(raw), key)
    parts = []
    while block := reader.read(100):
        parts.append(block)
    return b"".join(parts)


@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=700))
def test_round_trip(data, chunk):
    assert _open(_seal(data, chunk)) == data


@given(st.binary(min_size=1, max_size=1500), st.data())
def test_any_flipped_bit_is_refused(data, draw):
    raw = bytearray(_seal(data, 256))
    position = draw.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[position] ^= 1 << draw.draw(st.integers(min_value=0, max_value=7))
    with pytest.raises(sealed.SealError):
        _open(bytes(raw))


@given(st.binary(max_size=1500), st.data())
def test_any_cut_or_appended_tail_is_refused(data, draw):
    raw = _seal(data, 256)
    cut = draw.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    with pytest.raises(sealed.SealError):
        _open(raw[:cut])
    with pytest.raises(sealed.SealError, match="after its end"):
        _open(raw + b"\x00")


def test_wrong_key_and_bad_keys_are_named():
    raw = _seal(b"secret", 16)
    with pytest.raises(sealed.SealError, match="another key"):
        _open(raw, sealed.parse_key(sealed.generate_key()))
    with pytest.raises(sealed.SealError, match="OPENNRM_BACKUP_KEY"):
        sealed.parse_key("")
    with pytest.raises(sealed.SealError, match="32 bytes"):
        sealed.parse_key("c2hvcnQ=")
    with pytest.raises(sealed.SealError, match="base64"):
        sealed.parse_key("not base64 at all!")
    assert b"secret" not in raw
