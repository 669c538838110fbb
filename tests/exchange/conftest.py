"""One deployment here ("ua-nrm", the database of the test) and a partner ("pl-nrm")
whose private keys only the test holds, sealing and opening with the pure library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from opennrm.cases.services import case_create, person_save
from opennrm.exchange.integration import transfer_consent_record
from opennrm.exchange.keystore import read_key_file
from opennrm.exchange.services import keys_generate, partner_trust
from opennrm.transnational import (
    KeyPair,
    generate_keys,
    open_package,
    receipt_payload,
    referral_payload,
    seal,
)

PARTNER = "pl-nrm"


@dataclass
class Partner:
    id: str
    keys: KeyPair

    def document(self) -> dict[str, Any]:
        public = self.keys.public(self.id)
        return {
            "format": "opennrm-exchange-public/1",
            "deployment_id": self.id,
            "name": "Krajowe Centrum (PL)",
            "country": "PL",
            "inbox_url": "",
            "signing": public.signing,
            "encryption": public.encryption,
            "fingerprint": public.fingerprint,
        }

    def open(self, token: str, **overrides: Any):
        arguments: dict[str, Any] = {
            "recipient_id": self.id,
            "recipient_private_keys": [self.keys.encryption],
            "trusted_sender_keys": {"ua-nrm": [k.public("ua-nrm").signing for k in _ours()]},
            "now": timezone.now(),
            "seen": lambda jti: False,
        }
        arguments.update(overrides)
        return open_package(token, **arguments)

    def seal(self, payload: dict[str, Any], *, kind: str = "referral", **overrides: Any) -> str:
        now = timezone.now()
        arguments: dict[str, Any] = {
            "sender_id": self.id,
            "signing_key": self.keys.signing,
            "recipient_id": "ua-nrm",
            "recipient_public_key": read_key_file().current.public("ua-nrm").encryption,
            "expires_at": now + timedelta(days=7),
            "now": now,
            "kind": kind,
        }
        arguments.update(overrides)
        return seal(payload, **arguments)

    def referral(self, **fields: Any) -> dict[str, Any]:
        chosen = fields or {
            "given_name": "Olena",
            "family_name": "K.",
            "date_of_birth": "1990-04-01",
            "exploitation_type": "labour",
            "note": "Needs a shelter bed near the border.",
        }
        return referral_payload(
            fields=chosen,
            consented_fields=set(chosen),
            case_ref="PL-2026-17",
            purpose="shelter",
            sender_agency="Krajowe Centrum (PL)",
            response_due=date(2026, 12, 20),
            consent_given_on=date(2026, 11, 30),
            consent_method="written",
        )

    def receipt(self, package_id: str, status: str = "accepted", reason: str = "") -> dict:
        return receipt_payload(
            package_id=package_id, status=status, reason=reason, at=timezone.now()
        )


def _ours() -> tuple[KeyPair, ...]:
    return read_key_file().pairs


@pytest.fixture
def deployment(settings, tmp_path, world):
    settings.OPENNRM_DEPLOYMENT_ID = "ua-nrm"
    settings.OPENNRM_EXCHANGE_KEY_FILE = str(tmp_path / "keys.json")
    keys_generate(actor=None, name="National Coordination (UA)", country="UA")
    return world


@pytest.fixture
def partner(deployment) -> Partner:
    partner = Partner(PARTNER, generate_keys())
    document = partner.document()
    partner_trust(actor=None, document=document, typed_fingerprint=document["fingerprint"])
    return partner


@pytest.fixture
def consented_case(deployment, partner):
    world = deployment
    case = case_create(actor=world.case_manager, exploitation_type="labour", is_child=False)
    person_save(
        actor=world.case_manager,
        case=case,
        data={
            "given_name": "Olena",
            "family_name": "Kovalenko",
            "date_of_birth": date(1990, 4, 1),
            "gender": "female",
            "languages": "uk, ru",
            "contact": "+380 67 000 0000",
            "documents": "passport XX000000",
        },
        expected_version=None,
    )
    transfer_consent_record(
        actor=world.case_manager,
        case=case,
        partner_id=PARTNER,
        fields=["given_name", "gender", "languages"],
        obtained_on=timezone.localdate() - timedelta(days=1),
        method="written",
        expires_on=None,
    )
    case.refresh_from_db()
    return case
