from __future__ import annotations

import json

import pytest

from opennrm.transnational import (
    KeyInvalid,
    fingerprint,
    fingerprints_match,
    generate_keys,
    key_id,
    load_key_pair,
    public_jwk,
)


def test_generated_keys_have_thumbprint_kids_and_the_right_curves():
    keys = generate_keys()
    assert keys.signing["crv"] == "Ed25519" and keys.encryption["crv"] == "X25519"
    assert keys.signing_kid == key_id(keys.signing) != keys.encryption_kid
    assert len(keys.signing_kid) == 43  # base64url SHA-256
    assert keys != generate_keys()


def test_public_keys_never_carry_the_private_part():
    public = generate_keys().public("ua-nrm")
    text = json.dumps([public.signing, public.encryption])
    assert '"d"' not in text
    assert public.signing["kid"] == key_id(public.signing)


def test_rfc7638_thumbprint_of_the_rfc8037_example_key():
    # RFC 8037 appendix A.3: the thumbprint of the Ed25519 example key
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert key_id(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_fingerprint_binds_the_deployment_and_both_keys():
    keys, other = generate_keys(), generate_keys()
    public = keys.public("ua-nrm")
    fp = public.fingerprint
    assert len(fp.split()) == 8 and all(len(group) == 4 for group in fp.split())
    assert fp != keys.public("ua-nrm-2").fingerprint
    assert fp != fingerprint("ua-nrm", public.signing, other.public("x").encryption)
    assert fp != fingerprint("ua-nrm", other.public("x").signing, public.encryption)


def test_typed_fingerprints_ignore_spacing_and_case():
    fp = generate_keys().public("ua-nrm").fingerprint
    assert fingerprints_match(fp.lower().replace(" ", "-"), fp)
    assert not fingerprints_match(fp[:-1] + ("0" if fp[-1] != "0" else "1"), fp)
    assert not fingerprints_match("", fp)


def test_a_key_pair_round_trips_through_json():
    keys = generate_keys()
    again = load_key_pair(json.loads(json.dumps(keys.signing)), keys.encryption)
    assert again == keys


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "X25519", "x": "abc"},
        {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"},
        {"kty": "OKP", "crv": "Ed25519"},
        "not a key",
    ],
)
def test_wrong_keys_are_refused(jwk):
    with pytest.raises(KeyInvalid):
        public_jwk(jwk) if isinstance(jwk, dict) and jwk.get("crv") == "X25519" else load_key_pair(
            jwk, generate_keys().encryption
        )
