"""Online-monitoring endpoints: the progress of an import, its reasons in the request's
language beside stable codes."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opennrm.accounts.models import User
from opennrm.online import selectors, services
from opennrm.online.models import IMPORT_ERRORS, ImportRun, ImportState
from opennrm.online.problems import FILE_ERRORS, UNEXPECTED, describe_problem

router = Router(tags=["online"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class ImportProblemOut(Schema):
    where: str = Field(..., description="file:line of the skipped record")
    code: str | None = Field(None, description="A stable code of the reason")
    why: str = Field(..., description="The reason, in the request's language")


class ImportRunOut(Schema):
    id: int
    state: str = Field(..., description="queued, running, done or failed")
    source_name: str
    at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    read: int
    stored: int
    skipped: int
    duplicates: int
    error_code: str | None = Field(
        None,
        description="Why a failed run failed, as a stable code (e.g. csv.no_text_column, "
        "ingest.unreadable, spool.undecryptable, spool.damaged, interrupted, unexpected); null when it did "
        "not fail, or for a reason stored before codes existed",
    )
    error_params: dict[str, str | int] = Field(
        default_factory=dict, description="The values of the reason (never the file's name)"
    )
    error: str | None = Field(None, description="The reason, in the request's language")
    continued_as: int | None = Field(None, description="The run that continues a reclaimed one")
    problems: list[ImportProblemOut]


def _reason(run: ImportRun) -> tuple[str | None, str | None]:
    if run.state != ImportState.FAILED:
        return None, None
    if not run.error:
        return "unexpected", str(UNEXPECTED)
    known = run.error in IMPORT_ERRORS or run.error in FILE_ERRORS
    return (run.error if known else None), run.error_text


@router.get("/imports/{run_id}", response=ImportRunOut)
def import_run(request: HttpRequest, run_id: int) -> ImportRunOut:
    """One import of the caller's agency: its state, counts, why it failed and the first
    records it skipped, each reason in the request's language (Accept-Language)."""
    run = selectors.import_run_get_for(_actor(request), run_id)
    services.import_view_audit(actor=_actor(request), run=run)
    code, text = _reason(run)
    return ImportRunOut(
        id=run.pk,
        state=run.state,
        source_name=run.source_name,
        at=run.at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        read=run.read,
        stored=run.stored,
        skipped=run.skipped,
        duplicates=run.duplicates,
        error_code=code,
        error_params=run.error_params if code else {},
        error=text,
        continued_as=run.continued_as_id,
        problems=[
            ImportProblemOut(
                where=str(p.get("where", "")), code=p.get("code"), why=describe_problem(p)
            )
            for p in run.problems
        ],
    )
