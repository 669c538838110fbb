"""Due reminders, computed by ``opennrm notify`` (run it from cron or a systemd timer).

A *source* is a callable ``(now) -> Iterable[Reminder]``. This app registers the case
deadline sources; other apps register theirs from their ``AppConfig.ready``::

    from opennrm.notifications.reminders import register
    register(referral_response_reminders)

Each reminder carries a ``dedupe_key`` (e.g. ``rg_decision_due:<case id>:<date>``), so
running the command again creates nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from opennrm.accounts.models import Agency, User
from opennrm.notifications.selectors import agency_recipients
from opennrm.notifications.services import counting_notifications, notify


@dataclass(frozen=True)
class Reminder:
    """One reminder: to ``recipients``, and/or to the active users of ``agency`` with one
    of ``roles`` (default: the case roles). ``params`` are codes and ISO dates only."""

    kind: str
    dedupe_key: str
    recipients: tuple[User, ...] = ()
    agency: Agency | None = None
    roles: tuple[str, ...] | None = None
    case_reference: str = ""
    object_id: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.dedupe_key:
            raise ValueError("a reminder needs a dedupe_key, or every run would repeat it")

    def all_recipients(self) -> list[User]:
        users = list(self.recipients)
        if self.agency is not None:
            users += list(agency_recipients(self.agency.pk, self.roles))
        return users


Source = Callable[[datetime], Iterable[Reminder]]
_SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Add a reminder source (once; registering it again changes nothing)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def registered_sources() -> tuple[Source, ...]:
    return tuple(_SOURCES)


def run_reminders(
    *, now: datetime | None = None, sources: Iterable[Source] | None = None
) -> Counter[str]:
    """Create the due reminders of every source; returns how many notifications were new,
    by kind (those a source creates on its own while it runs, e.g. on expiry, included)."""
    now = now or timezone.now()
    with counting_notifications() as created:
        for source in sources if sources is not None else registered_sources():
            for reminder in source(now):
                notify(
                    recipients=reminder.all_recipients(),
                    kind=reminder.kind,
                    case_reference=reminder.case_reference,
                    object_id=reminder.object_id,
                    params=dict(reminder.params),
                    dedupe_key=reminder.dedupe_key,
                )
    return created
