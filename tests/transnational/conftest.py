from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from opennrm.transnational import KeyPair, generate_keys, referral_payload

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class Parties:
    sender: KeyPair
    recipient: KeyPair
    stranger: KeyPair


@pytest.fixture(scope="session")
def parties() -> Parties:
    return Parties(sender=generate_keys(), recipient=generate_keys(), stranger=generate_keys())


def a_referral(**fields: Any) -> dict[str, Any]:
    chosen = fields or {"given_name": "Olena", "gender": "female", "languages": "uk, ru"}
    return referral_payload(
        fields=chosen,
        consented_fields=set(chosen) | {"age_band"},
        case_ref="C-ABCDEFGH",
        purpose="shelter",
        sender_agency="National Coordination (UA)",
        sender_contact="+380 44 000 0000",
        response_due=date(2026, 12, 10),
        consent_given_on=date(2026, 11, 30),
        consent_method="written, interpreter present (uk)",
        consent_expires_on=date(2027, 11, 30),
    )


def seal_for(parties: Parties, payload=None, **overrides: Any) -> str:
    from opennrm.transnational import seal

    arguments: dict[str, Any] = {
        "sender_id": "ua-nrm",
        "signing_key": parties.sender.signing,
        "recipient_id": "pl-nrm",
        "recipient_public_key": parties.recipient.public("pl-nrm").encryption,
        "expires_at": NOW + timedelta(days=14),
        "now": NOW,
    }
    arguments.update(overrides)
    return seal(a_referral() if payload is None else payload, **arguments)


def open_for(parties: Parties, token, **overrides: Any):
    from opennrm.transnational import open_package

    arguments: dict[str, Any] = {
        "recipient_id": "pl-nrm",
        "recipient_private_keys": [parties.recipient.encryption],
        "trusted_sender_keys": {"ua-nrm": [parties.sender.public("ua-nrm").signing]},
        "now": NOW + timedelta(hours=1),
        "seen": lambda jti: False,
    }
    arguments.update(overrides)
    return open_package(token, **arguments)
