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
    "online.import": _("Online posts imported"),
    "online.lead": _("Lead opened from an online alert"),
    "online.post_view": _("Online post viewed"),
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
