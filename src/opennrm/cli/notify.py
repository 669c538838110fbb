"""`opennrm notify`: create the due reminders (idempotent; schedule it with cron or a timer)."""

from __future__ import annotations

import click

from opennrm.cli._i18n import current_language, gettext, ngettext
from opennrm.cli.app import _setup

_ = gettext


@click.command()
def notify() -> None:
    """Create due reminders (deadlines approaching or overdue) and e-mail them.

    Running it again creates nothing twice. E-mails that failed in the last day (mail
    server down) are tried again. Prints one line: new reminders by kind.
    """
    _setup()
    from opennrm.audit.services import audit_record
    from opennrm.notifications.emails import resend_unsent_emails
    from opennrm.notifications.kinds import kind_label
    from opennrm.notifications.reminders import run_reminders

    resent = resend_unsent_emails()  # first: what failed in earlier runs (server down)
    created = run_reminders()
    counts = {str(kind): n for kind, n in sorted(created.items()) if n}
    if counts:  # a run that creates nothing writes nothing
        audit_record(
            actor=None,
            action="notifications.reminders",
            object_type="notifications",
            object_ref="",
            detail=counts,
        )
    if current_language() == "en":  # kind=count: the line cron jobs and their scripts read
        parts = ", ".join(f"{kind}={n}" for kind, n in counts.items())
    else:  # the kinds by their names
        parts = "; ".join(f"{kind_label(kind)}: {n}" for kind, n in counts.items())
    total = sum(created.values())
    line = ngettext("notify: %(count)s new reminder(s)", "notify: %(count)s new reminder(s)", total)
    line = line % {"count": total} + (f" ({parts})" if parts else "")
    if resent:
        sent = ngettext(
            "; %(count)s earlier e-mail(s) sent", "; %(count)s earlier e-mail(s) sent", resent
        )
        line += sent % {"count": resent}
    click.echo(line)
