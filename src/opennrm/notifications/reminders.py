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

from opennrm.accounts.models import User
from opennrm.notifications.services import notify


@dataclass(frozen=True)
class Reminder:
    kind: str
    recipients: tuple[User, ...]
    dedupe_key: str
    case_reference: str = ""
    object_id: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.dedupe_key:
            raise ValueError("a reminder needs a dedupe_key, or every run would repeat it")


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
    """Create the due reminders of every source; returns how many were new, by kind."""
    now = now or timezone.now()
    created: Counter[str] = Counter()
    for source in sources if sources is not None else registered_sources():
        for reminder in source(now):
            new = notify(
                recipients=reminder.recipients,
                kind=reminder.kind,
                case_reference=reminder.case_reference,
                object_id=reminder.object_id,
                params=dict(reminder.params),
                dedupe_key=reminder.dedupe_key,
            )
            created[reminder.kind] += len(new)
    return created
