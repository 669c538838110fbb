"""The checkpoint signature covers every field a verifier relies on (no database here)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opennrm.audit import anchor

_KEY = anchor.generate_private_key()
_KEYS = {anchor.key_id(_KEY.public_key()): _KEY.public_key()}


def _doc(seq: int = 7, head_hash: str = "a" * 64) -> dict:
    return anchor.checkpoint_sign(
        seq=seq, head_hash=head_hash, private=_KEY, now=lambda: datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_signed_checkpoint_verifies():
    anchor.checkpoint_check_signature(_doc(), _KEYS)


@given(
    field=st.sampled_from(["seq", "head_hash", "at"]),
    seq=st.integers(min_value=0, max_value=2**40),
    hex_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
def test_any_edit_breaks_the_signature(field, seq, hex_hash):
    doc = _doc()
    edited = {
        **doc,
        field: {"seq": seq, "head_hash": hex_hash, "at": "2030-01-01T00:00:00.000000Z"}[field],
    }
    if edited[field] == doc[field]:
        return
    with pytest.raises(anchor.CheckpointError, match="signature does not match"):
        anchor.checkpoint_check_signature(edited, _KEYS)


@pytest.mark.parametrize(
    "doc",
    [None, [], {"format": "other"}, {**_doc(), "seq": "7"}, {**_doc(), "head_hash": "ab"}],
)
def test_malformed_checkpoints_refused(doc):
    with pytest.raises(anchor.CheckpointError):
        anchor.checkpoint_check_signature(doc, _KEYS)


def test_problem_messages():
    doc = _doc(seq=5, head_hash="b" * 64)
    assert anchor.checkpoint_problem(doc, hash_at="b" * 64, last_seq=9) is None
    assert "rewritten" in anchor.checkpoint_problem(doc, hash_at="c" * 64, last_seq=9)
    assert "rolled back" in anchor.checkpoint_problem(doc, hash_at=None, last_seq=3)


def test_bad_keys_are_clear_errors(tmp_path):
    with pytest.raises(anchor.AuditKeyError, match="neither PEM nor base64"):
        anchor.load_private_key("not a key!")
    with pytest.raises(anchor.AuditKeyError, match="32 bytes"):
        anchor.load_private_key("AAAA")
    with pytest.raises(anchor.AuditKeyError, match="cannot read"):
        anchor.keyring_from(key_file=str(tmp_path / "missing.pem"))
    with pytest.raises(anchor.AuditKeyError):
        anchor.load_public_key("xyz")
