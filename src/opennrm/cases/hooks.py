"""Listeners other apps register (from their AppConfig.ready) to follow case events
without the cases app importing them: the referrals app ends a referral whose consent
is withdrawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opennrm.cases.models import Consent

consent_withdrawn_listeners: list[Callable[[Consent], None]] = []


def run_consent_withdrawn(consent: Consent) -> None:
    for listener in consent_withdrawn_listeners:
        listener(consent)
