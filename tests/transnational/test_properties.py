"""Properties: whatever a referral holds within the schema round-trips exactly; any
change to the token is refused; the payload never leaks into the token."""

from __future__ import annotations

import base64
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from opennrm.transnational import (
    EXPLOITATION_TYPES,
    SHAREABLE_FIELDS,
    PackageRefused,
    generate_keys,
    referral_payload,
)
from tests.transnational.conftest import NOW, Parties, open_for, seal_for

PARTIES = Parties(sender=generate_keys(), recipient=generate_keys(), stranger=generate_keys())

_text = st.text(max_size=40)
VALUES = {
    "exploitation_type": st.sampled_from(EXPLOITATION_TYPES),
    "is_child": st.booleans(),
    "languages": _text,
    "gender": st.text(max_size=32),
    "age_band": st.text(max_size=16),
    "given_name": _text,
    "family_name": _text,
    "date_of_birth": st.dates(min_value=date(1920, 1, 1), max_value=date(2026, 1, 1)),
    "citizenship": _text,
    "needs": st.lists(st.text(max_size=64), max_size=20),
    "note": st.text(max_size=300),
}
assert set(VALUES) == set(SHAREABLE_FIELDS)


@st.composite
def referrals(draw):
    consented = draw(st.sets(st.sampled_from(sorted(SHAREABLE_FIELDS))))
    shared = draw(st.sets(st.sampled_from(sorted(consented)))) if consented else set()
    fields = {name: draw(VALUES[name]) for name in shared}
    return fields, consented


def _payload(fields, consented):
    return referral_payload(
        fields=fields,
        consented_fields=consented,
        case_ref="C-2345",
        purpose="return",
        sender_agency="Agency",
        consent_given_on=date(2026, 11, 1),
        consent_method="oral, recorded",
    )


@given(referrals(), st.integers(min_value=1, max_value=90 * 24))
def test_round_trip_keeps_exactly_the_shared_fields(referral, hours):
    fields, consented = referral
    token = seal_for(PARTIES, _payload(fields, consented), expires_at=NOW + timedelta(hours=hours))
    opened = open_for(PARTIES, token, now=NOW)
    shared = {k: v for k, v in opened.payload.items() if k in SHAREABLE_FIELDS}
    expected = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}
    assert shared == expected
    assert set(opened.payload["consent"]["scope"]) == consented


@given(referrals(), st.sets(st.sampled_from(sorted(SHAREABLE_FIELDS)), min_size=1))
def test_fields_outside_the_consent_are_always_refused_when_sealing(referral, extra):
    fields, consented = referral
    outside = extra - consented
    if not outside:
        return
    more = {**fields, **{name: None for name in outside}}
    try:
        _payload(more, consented)
    except ValueError as exc:
        assert exc.field in outside  # type: ignore[attr-defined]
    else:
        raise AssertionError("a field outside the consent was sealed")


TOKEN = seal_for(PARTIES)


@given(st.data())
def test_any_single_byte_change_in_the_token_is_refused(data):
    raw = bytearray(TOKEN.encode())
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != raw[index]]))
    raw[index] = replacement
    forged = raw.decode()
    try:
        opened = open_for(PARTIES, forged)
    except PackageRefused:
        return
    # base64url's last character has unused low bits: only then may the bytes be unchanged
    assert _same_bytes(forged, TOKEN), "a changed package was accepted"
    assert opened.payload["case_ref"] == "C-ABCDEFGH"


def _same_bytes(a: str, b: str) -> bool:
    def parts(token: str) -> list[bytes]:
        return [base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in token.split(".")]

    try:
        return parts(a) == parts(b)
    except ValueError:
        return False


@given(st.text(max_size=60))
def test_names_never_appear_in_the_token(name):
    if len(name) < 8:
        return
    token = seal_for(PARTIES, _payload({"given_name": name}, {"given_name"}))
    assert name not in token
