"""Files encrypted at rest read back as a stream (crypto.files), and the keys derived from
the data keys for the uploads waiting for the import worker."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from opennrm.crypto import files
from opennrm.crypto.keys import derive_keys, generate_key

KEY, OTHER = generate_key(), generate_key()


def _stored(tmp_path: Path, data: bytes, pieces: int = 7, keys: list[str] | None = None) -> Path:
    step = max(1, len(data) // pieces)
    chunks = [data[i : i + step] for i in range(0, len(data), step)]
    stored = files.store_encrypted(chunks, directory=tmp_path, keys=keys or [KEY], suffix=".spool")
    return tmp_path / stored.storage_name


@pytest.mark.parametrize(
    "size", [0, 1, 100, files.CHUNK - 1, files.CHUNK, files.CHUNK + 1, 3 * files.CHUNK + 17]
)
def test_the_reader_gives_back_exactly_the_bytes_stored(tmp_path, size):
    data = os.urandom(size)
    path = _stored(tmp_path, data)
    assert path.suffix == ".spool" and path.stat().st_mode & 0o077 == 0
    with files.open_decrypted(path, keys=[KEY]) as plain:
        assert plain.read() == data
    with files.open_decrypted(path, keys=[KEY]) as plain:  # odd reads across chunks
        got = b""
        while piece := plain.read(4097):
            got += piece
        assert got == data
    raw = files.DecryptingReader(path, keys=[KEY])
    small = bytearray(10)
    got = b""
    while count := raw.readinto(small):
        got += bytes(small[:count])
    raw.close()
    assert got == data and raw.closed


def test_the_plaintext_is_not_on_the_disk_and_the_reader_wraps_as_text(tmp_path):
    text = "".join(f"рядок {i}: Оксана Гнатюк +380671234567\n" for i in range(5000))
    path = _stored(tmp_path, text.encode())
    assert "Гнатюк".encode() not in path.read_bytes()
    assert b"380671234567" not in path.read_bytes()
    plain = files.open_decrypted(path, keys=[KEY])
    assert plain.peek(5)[:5] == "рядок".encode()[:5]  # a parser's look ahead
    assert not plain.seekable()
    with io.TextIOWrapper(plain, encoding="utf-8", newline="") as stream:
        lines = list(stream)
    assert len(lines) == 5000 and lines[-1] == "рядок 4999: Оксана Гнатюк +380671234567\n"


def test_a_file_under_no_configured_key_is_refused_when_opened(tmp_path):
    path = _stored(tmp_path, b"secret " * 1000)
    with pytest.raises(files.NoKey):
        files.open_decrypted(path, keys=[OTHER])
    with pytest.raises(files.NoKey):
        files.open_decrypted(path, keys=[])
    with files.open_decrypted(path, keys=[OTHER, KEY]) as plain:  # an older key still reads
        assert plain.read() == b"secret " * 1000


def test_an_altered_chunk_stops_the_reading(tmp_path):
    path = _stored(tmp_path, os.urandom(3 * files.CHUNK))
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[2]  # chunks swapped or replaced: each still a valid token...
    lines[2] = files.cipher([OTHER]).encrypt(b"x" * 10) + b"\n"  # ...or under another key
    path.write_bytes(b"".join(lines))
    with files.open_decrypted(path, keys=[KEY]) as plain, pytest.raises(InvalidToken):
        plain.read()


@pytest.mark.parametrize("damage", ["cut", "flipped"])
def test_a_damaged_later_chunk_is_told_apart_from_a_missing_key(tmp_path, damage):
    data = os.urandom(3 * files.CHUNK)
    path = _stored(tmp_path, data)
    raw = path.read_bytes()
    lines = raw.splitlines(keepends=True)
    if damage == "cut":  # the disk lost the end of the file in the middle of a chunk
        path.write_bytes(b"".join(lines[:2]) + lines[2][:40])
    else:
        lines[2] = lines[2][:30] + (b"A" if lines[2][30:31] != b"A" else b"B") + lines[2][31:]
        path.write_bytes(b"".join(lines))
    plain = files.open_decrypted(path, keys=[KEY])  # the first chunk decrypts: a key fits
    assert plain.read(files.CHUNK) == data[: files.CHUNK]
    with pytest.raises(files.Damaged):
        plain.read()
    plain.close()
    with pytest.raises(files.Damaged):  # the download path says the same
        b"".join(files.read_decrypted(path.name, directory=tmp_path, keys=[KEY]))
    path.write_bytes(lines[0][:40] + b"\n" + b"".join(lines[1:]))  # the first chunk itself
    with pytest.raises(files.NoKey):
        files.open_decrypted(path, keys=[KEY])


def test_a_size_limit_raised_while_storing_leaves_no_file(tmp_path):
    def counted():
        yield b"a" * files.CHUNK
        raise ValueError("too large")

    with pytest.raises(ValueError, match="too large"):
        files.store_encrypted(counted(), directory=tmp_path, keys=[KEY], suffix=".spool")
    assert list(tmp_path.iterdir()) == []


def test_a_rotated_file_reads_under_the_new_key_alone(tmp_path):
    data = os.urandom(2 * files.CHUNK + 5)
    path = _stored(tmp_path, data)
    assert files.reencrypt(path.name, directory=tmp_path, keys=[OTHER, KEY])
    with files.open_decrypted(path, keys=[OTHER]) as plain:
        assert plain.read() == data


def test_derived_keys_follow_the_data_keys_and_differ_by_purpose():
    spool = derive_keys([KEY, OTHER], b"spool")
    assert spool == derive_keys([KEY, OTHER], b"spool")  # the same on every process
    assert len(spool) == 2 and spool[1] == derive_keys([OTHER], b"spool")[0]
    assert not {KEY, OTHER} & set(spool)
    assert derive_keys([KEY], b"other purpose") != spool[:1]
    files.cipher(spool)  # Fernet keys
