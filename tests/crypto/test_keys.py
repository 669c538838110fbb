"""The pure cipher: round trips, rotation, blind index normalisation, key errors."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from opennrm.crypto.keys import (
    DataCipher,
    InvalidKey,
    Undecryptable,
    development_key,
    generate_key,
    normalise,
)

OLD = generate_key()
NEW = generate_key()


@given(st.text())
def test_round_trip_any_text(text):
    cipher = DataCipher([NEW])
    token = cipher.encrypt(text)
    assert cipher.decrypt(token) == text
    if len(text) >= 12:
        assert text not in token


def test_new_key_first_encrypts_old_keys_still_decrypt():
    old_token = DataCipher([OLD]).encrypt("Oksana")
    both = DataCipher([NEW, OLD])
    assert both.decrypt(old_token) == "Oksana"
    assert not both.is_current(old_token)
    fresh = both.encrypt("Oksana")
    assert both.is_current(fresh)
    assert DataCipher([NEW]).decrypt(fresh) == "Oksana"  # the old key is not needed for it
    rotated = both.rotate(old_token)
    assert both.is_current(rotated)
    assert DataCipher([NEW]).decrypt(rotated) == "Oksana"
    with pytest.raises(Undecryptable):
        DataCipher([NEW]).decrypt(old_token)


def test_tampered_or_foreign_token_is_refused():
    cipher = DataCipher([NEW])
    token = cipher.encrypt("passport AB123456")
    with pytest.raises(Undecryptable):
        cipher.decrypt(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    with pytest.raises(Undecryptable):
        cipher.decrypt("plain text, never encrypted")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Олена Коваль", "олена   КОВАЛЬ"),
        ("ＩＶＡＮ", "ivan"),  # full-width letters (NFKC)
        ("Straße", "STRASSE"),  # case folding, not lower-casing
        (" Ana\tMaria ", "ana maria"),
    ],
)
def test_blind_index_matches_normalised_equal_values(first, second):
    cipher = DataCipher([NEW])
    assert cipher.blind_index(first) == cipher.blind_index(second)
    assert normalise(first) == normalise(second)


def test_blind_index_is_keyed_and_rotates_with_the_keys():
    old, both = DataCipher([OLD]), DataCipher([NEW, OLD])
    assert old.blind_index("Ivan") != DataCipher([NEW]).blind_index("Ivan")
    assert old.blind_index("Ivan") in both.blind_indexes("Ivan")  # rows not yet rotated
    assert both.blind_index("Ivan") != both.blind_index("Ivana")
    assert "ivan" not in both.blind_index("Ivan")


@given(st.binary())
def test_bytes_round_trip_and_rotate_keep_their_type(data):
    old, both = DataCipher([OLD]), DataCipher([NEW, OLD])
    token = old.encrypt_bytes(data)
    assert isinstance(token, bytes) and both.decrypt_bytes(token) == data
    rotated = both.rotate(token)
    assert isinstance(rotated, bytes) and both.is_current(rotated)
    assert DataCipher([NEW]).decrypt_bytes(rotated) == data
    with pytest.raises(Undecryptable):
        DataCipher([NEW]).decrypt_bytes(token)


def test_exact_index_keeps_case_and_form_and_rotates_with_the_keys():
    """For values already canonical: a URL path is case-sensitive, so is a handle's form."""
    old, both = DataCipher([OLD]), DataCipher([NEW, OLD])
    assert both.exact_index("url:https://x.ua/A") != both.exact_index("url:https://x.ua/a")
    assert both.exact_index("ＩＶＡＮ") != both.exact_index("IVAN")
    assert both.blind_index("ＩＶＡＮ") == both.blind_index("IVAN")
    assert old.exact_index("phone:+380671234567") in both.exact_indexes("phone:+380671234567")
    assert both.exact_indexes("x")[0] == both.exact_index("x")


def test_malformed_key_is_refused_without_echoing_it():
    with pytest.raises(InvalidKey) as error:
        DataCipher([NEW, "not-a-real-key-but-a-secret-1234"])
    assert "key 2" in str(error.value)
    assert "secret-1234" not in str(error.value)
    with pytest.raises(InvalidKey):
        DataCipher(["", "  "])


def test_development_key_is_a_stable_valid_key():
    assert development_key() == development_key()
    Fernet(development_key().encode())  # a well-formed key
    assert development_key() != generate_key()
