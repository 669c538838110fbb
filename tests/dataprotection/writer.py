"""A busy deployment for the backup test: writes cases, people, notes and audit entries
through the services, in a loop, until a stop file appears.

Run as a script in a deployment's environment: ``python writer.py USERNAME STOP READY``.
It writes READY after its first few cases (so the backup really runs during writes).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    username, stop, ready = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opennrm.settings")
    import django

    django.setup()
    from opennrm.accounts.models import User
    from opennrm.cases.services import case_create, person_save
    from opennrm.casework.services import note_add

    actor = User.objects.select_related("agency").get(username=username)
    written = 0
    while not stop.exists():
        case = case_create(actor=actor, region="Lviv", summary=f"writer case {written}")
        person_save(
            actor=actor,
            case=case,
            data={"given_name": f"Given{written}", "family_name": "Writer", "gender": "female"},
            expected_version=None,
        )
        note_add(actor=actor, reference=case.reference, kind="note", text=f"note {written}")
        written += 1
        if written == 5:
            ready.write_text("ready")
    print(written)


if __name__ == "__main__":
    main()
