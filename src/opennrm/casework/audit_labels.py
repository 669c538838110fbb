"""Words for the audit page: audit action codes and object types as translated labels.

Kept in this app (with its own catalogue) so that the project catalogue and the audit
internals stay untouched; ``opennrm.web.views.audit_log`` reads it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "access.decide": _("Access request decided"),
    "access.refused": _("Access refused"),
    "access.request": _("Access requested"),
    "admin.add": _("Administration: record added"),
    "admin.change": _("Administration: record changed"),
    "admin.delete": _("Administration: record deleted"),
    "agency.create": _("Agency created"),
    "api_token.create": _("API token created"),
    "api_token.revoke": _("API token revoked"),
    "audit.export": _("Audit log exported"),
    "audit.view": _("Audit log viewed"),
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Failed sign-in"),
    "auth.logout": _("Signed out"),
    "case.anonymous_report": _("Case kept as an anonymous report"),
    "case.create": _("Case opened"),
    "case.export": _("Cases exported"),
    "case.transition": _("Case moved to a new state"),
    "case.update": _("Case facts changed"),
    "case.view": _("Case viewed"),
    "casework.assign": _("Case assigned"),
    "casework.attachment.add": _("File attached"),
    "casework.attachment.download": _("File downloaded"),
    "casework.note.add": _("Note added"),
    "casework.plan.add": _("Assistance plan changed"),
    "casework.plan.done": _("Plan item done"),
    "casework.view": _("Casework viewed"),
    "consent.record": _("Consent recorded"),
    "consent.withdraw": _("Consent withdrawn"),
    "directory.capacity_update": _("Free places updated"),
    "directory.export": _("Service directory exported"),
    "directory.import": _("Service directory imported"),
    "grant.create": _("Access granted"),
    "grant.end": _("Access ended"),
    "grant.expiry": _("Access expiry changed"),
    "grant.revoke": _("Access revoked"),
    "handover.decide": _("Hand-over decided"),
    "handover.request": _("Hand-over requested"),
    "online.export_stix": _("Online alerts exported (STIX)"),
    "online.false_positive": _("Online alert marked false positive"),
    "online.false_positive_undo": _("Online alert returned to the queue (false positive undone)"),
    "online.feedback_export": _("Reviewers' labels of online posts exported for training"),
    "online.contact_view": _("Online contact page viewed"),
    "online.group_view": _("Online campaign or network viewed"),
    "online.import": _("Online posts imported"),
    "online.import_queue": _("File of online posts queued for import"),
    "online.import_command": _("Online posts imported with the command line"),
    "online.import_reclaim": _("Online import taken back from a stopped worker"),
    "online.import_view": _("Online import viewed"),
    "online.lead": _("Lead opened from an online alert"),
    "online.post_view": _("Online post viewed"),
    "online.purge": _("Online monitoring data past its retention period erased"),
    "online.case_released": _("Online posts no longer kept as evidence (case anonymised)"),
    "online.queue_view": _("Online alert queue viewed"),
    "otp.enrol": _("Second factor set up"),
    "person.view": _("Personal data viewed"),
    "person.update": _("Personal data changed"),
    "referral.create": _("Referral drafted"),
    "referral.print": _("Referral printed"),
    "referral.receive": _("Referral received"),
    "referral.send": _("Referral sent"),
    "referral.withdraw": _("Referral withdrawn"),
    "referral.expire": _("Referral expired"),
    "screening.answer": _("Screening answers saved"),
    "screening.attach": _("Screening attached to a case"),
    "screening.complete": _("Screening completed"),
    "screening.start": _("Screening started"),
    "screening.view": _("Screening viewed"),
    "user.create": _("User created"),
}

#: for codes with a variable tail (``referral.accept``, …)
PREFIX_LABELS = {
    "referral.": _("Referral updated"),
    "admin.": _("Administration"),
    "casework.": _("Casework"),
    "online.": _("Online monitoring"),
    "screening.": _("Screening"),
    "case.": _("Case"),
    "grant.": _("Access"),
    "person.": _("Personal data"),
}

OBJECT_LABELS = {
    "case": _("case"),
    "user": _("user"),
    "agency": _("agency"),
    "audit": _("audit log"),
    "referral": _("referral"),
    "screening": _("screening"),
    "service": _("service"),
    "post": _("online post"),
    "directory": _("service directory"),
    "api_token": _("API token"),
    "import": _("import"),
    "contact": _("online contact"),
    "group": _("online campaign or network"),
}


def action_label(code: str) -> str:
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    for prefix, label in PREFIX_LABELS.items():
        if code.startswith(prefix):
            return str(label)
    return code


def object_label(code: str) -> str:
    return str(OBJECT_LABELS.get(code, code))


#: keys of an audit entry's ``detail``, as words
DETAIL_LABELS = {
    "accepted": _("accepted"),
    "action": _("action"),
    "agency_id": _("agency no."),
    "answered": _("questions answered"),
    "approved": _("approved"),
    "available": _("available"),
    "case": _("case"),
    "channels": _("channel names offered"),
    "consent_id": _("consent no."),
    "devices": _("devices"),
    "duplicates": _("duplicates"),
    "encryption_kid": _("encryption key"),
    "epsilon": _("privacy budget (ε)"),
    "expires_at": _("expires"),
    "external_ref": _("partner's reference"),
    "fields": _("fields"),
    "forced_criminality": _("forced criminality"),
    "from": _("from"),
    "given": _("given"),
    "grant_id": _("access no."),
    "grants_ended": _("access ended"),
    "handover_id": _("hand-over no."),
    "is_child": _("child"),
    "jti": _("package id"),
    "kind": _("kind"),
    "known": _("known"),
    "labels_removed": _("training labels removed"),
    "lang": _("language"),
    "object_ref": _("object"),
    "outcome": _("outcome"),
    "own": _("own"),
    "page": _("page"),
    "partner": _("partner"),
    "parts": _("parts"),
    "post": _("post"),
    "posts": _("posts"),
    "previous": _("previous"),
    "reason": _("reason"),
    "records": _("records"),
    "referral_id": _("referral no."),
    "reenrol": _("set up again"),
    "request_id": _("request no."),
    "role": _("role"),
    "screening": _("screening"),
    "services": _("services"),
    "skipped": _("skipped"),
    "status": _("status"),
    "stored": _("stored"),
    "to": _("to"),
    "to_agency_id": _("to agency no."),
    "transition": _("step"),
    "usable": _("usable"),
    "user_id": _("user no."),
    "via": _("via"),
    "what": _("what"),
    "why": _("why"),
    "year": _("year"),
    "years": _("years"),
    # filters of the audit log and exports
    "object_type": _("object type"),
    "username": _("user"),
    "since": _("from"),
    "until": _("until"),
    "date_from": _("from"),
    "date_to": _("until"),
}

#: casework parts named in ``casework.view``
_PART_LABELS = {
    "assignment": _("who works on the case"),
    "notes": _("notes and contacts"),
    "plan": _("assistance plan"),
    "attachments": _("files"),
}

#: codes in online-monitoring import entries (``online.import``, ``online.import_reclaim``)
_IMPORT_LABELS = {
    "auto": _("recognised from the content"),
    "resumed": _("resumed by another worker"),
}


def _code_labels() -> dict[str, str]:
    """Every code a detail may hold (states, purposes, kinds, fields) with its label."""
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.cases.models import Case, ExploitationType, Person
    from opennrm.cases.policy import AccessPurpose
    from opennrm.cases.workflow import ScreeningOutcome, State
    from opennrm.casework.models import ContactChannel, NoteKind, PlanItemKind
    from opennrm.online.models import ImportState
    from opennrm.referrals.models import ReferralStatus

    labels: dict[str, str] = {}
    for model in (Case, Person):
        for f in model._meta.concrete_fields:
            labels.setdefault(f.name, str(f.verbose_name))
    labels.update({k: str(v) for k, v in _IMPORT_LABELS.items()})
    for choices in (
        ImportState,  # first: a code of the case workflow wins over an import state
        State,
        ScreeningOutcome,
        AccessPurpose,
        ExploitationType,
        ReferralStatus,
        Role,
        AgencyType,
        NoteKind,
        PlanItemKind,
        ContactChannel,
    ):
        for value, label in choices.choices:
            labels[str(value)] = str(label)
    labels.update({k: str(v) for k, v in _PART_LABELS.items()})
    labels.update({k: str(v) for k, v in OBJECT_LABELS.items()})
    return labels


def _value_words(value: object, codes: dict[str, str]) -> str:
    from django.utils.translation import gettext

    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        return ", ".join(_value_words(v, codes) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(k)}: {_value_words(v, codes)}" for k, v in value.items())
    text = str(value)
    return codes.get(text, action_label(text) if text in ACTION_LABELS else text)


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


def detail_words(detail: dict[str, object] | None) -> list[tuple[str, str]]:
    """An audit entry's detail as (label, words) pairs in the reader's language."""
    if not detail:
        return []
    codes = _code_labels()
    return [(detail_label(k), _value_words(v, codes)) for k, v in detail.items()]


DETAIL_LABELS.update(
    {
        "assignee_id": _("assigned to (user no.)"),
        "previous_id": _("before (user no.)"),
        "note_id": _("note no."),
        "item_id": _("plan item no."),
        "attachment_id": _("file no."),
        "type": _("file type"),
        "size": _("size (bytes)"),
        "service_type": _("type of service"),
        "channel": _("channel"),
        # a queued import of online posts
        "bytes": _("size (bytes)"),
        "format": _("format"),
        "file_type": _("file type"),
        "sha256": _("content digest (SHA-256)"),
        # an import run with the command line: who ran it, where
        "os_user": _("operating-system account"),
        "host": _("machine"),
        "state": _("state"),
        "attempt": _("attempt"),
        "continued_as": _("continued as import no."),
        "imports": _("imports"),
        # the retention purge of online monitoring (counts per agency)
        "days": _("retention period (days)"),
        "kept": _("kept as evidence"),
        "feedback": _("reviewer labels"),
        "contacts": _("contacts"),
        "groups": _("campaigns and networks"),
        "failed": _("not erased (tried again)"),
        "index_rebuilt": _("campaign index rebuilt"),
    }
)
