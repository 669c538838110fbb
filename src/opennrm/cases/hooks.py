"""Listeners other apps register (from their AppConfig.ready) to follow case events
without the cases app importing them: the referrals app ends a referral whose consent
is withdrawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opennrm.cases.models import Case, Consent

consent_withdrawn_listeners: list[Callable[[Consent], None]] = []


def run_consent_withdrawn(consent: Consent) -> None:
    for listener in consent_withdrawn_listeners:
        listener(consent)


#: fn(case), called inside the transaction that turns a case into an anonymous report:
#: every app deletes the personal data it keeps about the case
case_anonymised_listeners: list[Callable[[Case], None]] = []


def run_case_anonymised(case: Case) -> None:
    for listener in case_anonymised_listeners:
        listener(case)


#: kind -> fn(stored reason) -> text in the reader's language: apps whose timeline entries
#: carry codes (the referrals app: "service: status") render them at read time
event_reason_renderers: dict[str, Callable[[str], str]] = {}
