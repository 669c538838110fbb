"""Listeners other apps register (from their AppConfig.ready) to follow referral status
changes without this app importing them (the exchange app turns a status change of a
transnational referral into a signed receipt)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opennrm.referrals.models import Referral

#: fn(referral, old_status, new_status), called after the change is committed
status_listeners: list[Callable[[Referral, str, str], None]] = []
