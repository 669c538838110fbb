"""Sealing and opening packages: every refusal reason, and tampering with every JWE part."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta

import pytest
from joserfc import jwe, jws
from joserfc.jwk import OKPKey

from opennrm.transnational import (
    MAX_PACKAGE_BYTES,
    PackageRefused,
    PayloadInvalid,
    generate_keys,
    receipt_payload,
    referral_payload,
)
from tests.transnational.conftest import NOW, a_referral, open_for, seal_for


def _refused(parties, token, **overrides) -> str:
    with pytest.raises(PackageRefused) as caught:
        open_for(parties, token, **overrides)
    return caught.value.reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_a_sealed_referral_opens_with_its_claims_and_only_its_fields(parties):
    token = seal_for(parties, package_id="pkg-1")
    opened = open_for(parties, token)
    assert (opened.package_id, opened.kind, opened.sender_id, opened.recipient_id) == (
        "pkg-1",
        "referral",
        "ua-nrm",
        "pl-nrm",
    )
    assert opened.expires_at == NOW + timedelta(days=14)
    assert opened.signing_kid == parties.sender.signing_kid
    assert opened.payload["given_name"] == "Olena"
    assert "family_name" not in opened.payload
    assert opened.payload["consent"]["scope"] == ["age_band", "gender", "given_name", "languages"]
    assert "Olena" not in repr(opened)  # personal data never in a repr (logs, tracebacks)


def test_the_token_hides_the_content(parties):
    token = seal_for(parties)
    assert "Olena" not in token
    header = json.loads(_unb64(token.split(".")[0]))
    assert header["alg"] == "ECDH-ES" and header["enc"] == "A256GCM"
    assert header["kid"] == parties.recipient.encryption_kid
    assert set(header) == {"alg", "enc", "kid", "typ", "cty", "epk"}


def test_a_receipt_round_trips(parties):
    body = receipt_payload(
        package_id="pkg-1", status="accepted", at=NOW, reason="bed free in Kraków"
    )
    token = seal_for(parties, body, kind="receipt")
    opened = open_for(parties, token)
    assert opened.kind == "receipt"
    assert opened.payload == {
        "package_id": "pkg-1",
        "status": "accepted",
        "reason": "bed free in Kraków",
        "at": NOW.isoformat(),
    }


@pytest.mark.parametrize("part", [0, 2, 3, 4])
def test_flipping_any_bit_in_any_jwe_part_is_refused(parties, part):
    token = seal_for(parties)
    pieces = token.split(".")
    raw = bytearray(_unb64(pieces[part]))
    for index in sorted({0, len(raw) // 2, len(raw) - 1}):
        for bit in (0x01, 0x80):
            changed = bytearray(raw)
            changed[index] ^= bit
            forged = list(pieces)
            forged[part] = _b64(bytes(changed))
            assert _refused(parties, ".".join(forged)) == "undecryptable"


def test_an_encrypted_key_added_to_direct_key_agreement_is_refused(parties):
    pieces = seal_for(parties).split(".")
    pieces[1] = _b64(b"\x00" * 32)
    assert _refused(parties, ".".join(pieces)) == "undecryptable"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c.d.e", "....", "é" * 10, "a.b.c.d.e.f"])
def test_garbage_is_refused_as_undecryptable(parties, garbage):
    assert _refused(parties, garbage) == "undecryptable"


def test_a_package_for_another_key_cannot_be_decrypted(parties):
    token = seal_for(parties, recipient_public_key=parties.stranger.public("x").encryption)
    assert _refused(parties, token) == "undecryptable"
    # even when the stranger's kid is claimed for our key
    forged_key = dict(parties.recipient.encryption, kid=parties.stranger.encryption_kid)
    assert _refused(parties, token, recipient_private_keys=[forged_key]) == "undecryptable"


def test_swapped_signing_key_is_untrusted(parties):
    token = seal_for(parties, signing_key=parties.stranger.signing)
    assert _refused(parties, token) == "untrusted_sender"


def test_a_trusted_kid_on_a_foreign_signature_fails_verification(parties):
    """A stranger signs with its own key but names the trusted sender's kid."""
    claims = json.loads(_inner_claims(parties, seal_for(parties)))
    signed = jws.serialize_compact(
        {"alg": "Ed25519", "kid": parties.sender.signing_kid, "typ": "opennrm-package+jws"},
        json.dumps(claims),
        OKPKey.import_key(parties.stranger.signing),
        algorithms=["Ed25519"],
    )
    assert _refused(parties, _encrypt(parties, signed)) == "bad_signature"


def test_a_key_of_one_partner_cannot_speak_for_another(parties):
    token = seal_for(parties, sender_id="md-nrm")  # signed by ua-nrm's key, claims md-nrm
    trusted = {
        "ua-nrm": [parties.sender.public("ua-nrm").signing],
        "md-nrm": [parties.stranger.public("md-nrm").signing],
    }
    assert _refused(parties, token, trusted_sender_keys=trusted) == "untrusted_sender"


def test_a_revoked_key_is_named_as_revoked(parties):
    token = seal_for(parties)
    reason = _refused(
        parties,
        token,
        trusted_sender_keys={"ua-nrm": []},
        revoked_kids={parties.sender.signing_kid},
    )
    assert reason == "revoked_key"


def test_a_package_for_another_deployment_is_refused_even_when_we_can_decrypt_it(parties):
    token = seal_for(parties, recipient_id="md-nrm")
    assert _refused(parties, token) == "wrong_recipient"


def test_expiry(parties):
    token = seal_for(parties, expires_at=NOW + timedelta(days=1))
    assert open_for(parties, token, now=NOW + timedelta(days=1, seconds=-1))
    assert _refused(parties, token, now=NOW + timedelta(days=1)) == "expired"


def test_a_package_from_the_future_is_refused(parties):
    token = seal_for(parties, now=NOW + timedelta(hours=2), expires_at=NOW + timedelta(days=3))
    assert _refused(parties, token, now=NOW) == "not_yet_valid"


def test_replay(parties):
    token = seal_for(parties, package_id="pkg-7")
    asked: list[str] = []

    def seen(jti: str) -> bool:
        asked.append(jti)
        return jti == "pkg-7"

    assert _refused(parties, token, seen=seen) == "replayed"
    assert asked == ["pkg-7"]


def test_oversize_packages_are_refused_before_decryption(parties):
    assert _refused(parties, "a" * (MAX_PACKAGE_BYTES + 1)) == "too_large"
    assert _refused(parties, b"a" * (MAX_PACKAGE_BYTES + 1)) == "too_large"
    token = seal_for(parties)
    assert _refused(parties, token, max_bytes=len(token) - 1) == "too_large"


def test_an_oversize_field_cannot_be_sealed(parties):
    with pytest.raises(PayloadInvalid) as caught:
        a_referral(note="x" * 2001)
    assert caught.value.field == "note"


def _inner_claims(parties, token: str) -> bytes:
    plain = jwe.decrypt_compact(
        token, OKPKey.import_key(parties.recipient.encryption), algorithms=["ECDH-ES", "A256GCM"]
    ).plaintext
    return _unb64(plain.split(b".")[1].decode())


def _encrypt(parties, signed: str) -> str:
    return jwe.encrypt_compact(
        {
            "alg": "ECDH-ES",
            "enc": "A256GCM",
            "kid": parties.recipient.encryption_kid,
            "typ": "opennrm-package+jwe",
            "cty": "JWT",
        },
        signed,
        OKPKey.import_key(parties.recipient.public("pl-nrm").encryption),
        algorithms=["ECDH-ES", "A256GCM"],
    )


def _forge(parties, change) -> str:
    """A package signed by the trusted sender's real key, with claims the library would not seal."""
    claims = json.loads(_inner_claims(parties, seal_for(parties)))
    change(claims)
    signed = jws.serialize_compact(
        {"alg": "Ed25519", "kid": parties.sender.signing_kid, "typ": "opennrm-package+jws"},
        json.dumps(claims),
        OKPKey.import_key(parties.sender.signing),
        algorithms=["Ed25519"],
    )
    return _encrypt(parties, signed)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda c: c.update(v=2), "unknown_schema"),
        (lambda c: c.update(kind="transfer"), "unknown_schema"),
        (lambda c: c.update(extra="x"), "unknown_schema"),
        (lambda c: c.pop("jti"), "unknown_schema"),
        (lambda c: c.update(exp="tomorrow"), "unknown_schema"),
        (lambda c: c["body"].update(passport="AB123456"), "fields_not_allowed"),
        (lambda c: c["body"].update(family_name="Kovalenko"), "fields_not_allowed"),
        (lambda c: c["body"]["consent"]["scope"].append("passport"), "invalid_payload"),
        (lambda c: c["body"].update(purpose="marketing"), "invalid_payload"),
        (lambda c: c["body"].update(is_child="yes"), "invalid_payload"),
        (lambda c: c["body"].update(is_child=True), "fields_not_allowed"),
        (lambda c: c["body"].update(note="x" * 2001), "invalid_payload"),
        (lambda c: c["body"].pop("consent"), "invalid_payload"),
        (lambda c: c.update(body=[1, 2]), "invalid_payload"),
        (lambda c: c.update(exp=c["iat"] + 200 * 86400), "not_yet_valid"),
    ],
)
def test_forged_claims_from_a_trusted_sender_are_refused(parties, change, reason):
    assert _refused(parties, _forge(parties, change)) == reason


def test_the_sender_cannot_seal_fields_outside_the_consent_or_the_schema():
    with pytest.raises(PayloadInvalid) as caught:
        referral_payload(
            fields={"given_name": "A", "family_name": "B"},
            consented_fields={"given_name"},
            case_ref="C-1",
            purpose="shelter",
            sender_agency="X",
            consent_given_on=date(2026, 1, 1),
            consent_method="written",
        )
    assert caught.value.reason == "fields_not_allowed" and caught.value.field == "family_name"
    with pytest.raises(PayloadInvalid) as caught:
        referral_payload(
            fields={"documents": "passport AB1"},
            consented_fields={"documents"},
            case_ref="C-1",
            purpose="shelter",
            sender_agency="X",
            consent_given_on=date(2026, 1, 1),
            consent_method="written",
        )
    assert caught.value.field == "documents"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expires_at": NOW}, "expires"),
        ({"expires_at": NOW + timedelta(days=91)}, "expires"),
        ({"recipient_id": ""}, "recipient_id"),
        ({"sender_id": "x" * 101}, "sender_id"),
    ],
)
def test_sealing_refuses_bad_frames(parties, overrides, field):
    with pytest.raises(PayloadInvalid) as caught:
        seal_for(parties, **overrides)
    assert caught.value.field == field


def test_naive_times_are_a_programming_error(parties):
    with pytest.raises(ValueError, match="timezone"):
        seal_for(parties, now=datetime(2026, 12, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone"):
        open_for(parties, seal_for(parties), now=datetime(2026, 12, 1))  # noqa: DTZ001


def test_rotated_recipient_keys_still_open_old_packages(parties):
    old_token = seal_for(parties)
    new = generate_keys()
    opened = open_for(
        parties, old_token, recipient_private_keys=[new.encryption, parties.recipient.encryption]
    )
    assert opened.kind == "referral"
