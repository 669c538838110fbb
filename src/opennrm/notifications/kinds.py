"""What a notification can say, as data: each kind has a translated label and a
translated sentence; its parameters are codes, dates or counts (never personal data),
checked when the notification is written and rendered in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opennrm.core.errors import ValidationFailed


class Kind(models.TextChoices):
    REFERRAL_NEW = "referral_new", _("New referral")
    REFERRAL_ANSWERED = "referral_answered", _("Referral answered")
    REFERRAL_RESPONSE_DUE = "referral_response_due", _("Referral answer due")
    REFERRAL_OVERDUE = "referral_overdue", _("Referral answer overdue")
    RG_DECISION_DUE = "rg_decision_due", _("Reasonable-grounds decision due")
    RG_DECISION_OVERDUE = "rg_decision_overdue", _("Reasonable-grounds decision overdue")
    REFLECTION_ENDING = "reflection_ending", _("Reflection period ending")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    ACCESS_REQUESTED = "access_requested", _("Access requested")
    ACCESS_ANSWERED = "access_answered", _("Access request answered")
    HANDOVER_REQUESTED = "handover_requested", _("Handover requested")
    HANDOVER_ANSWERED = "handover_answered", _("Handover answered")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
    PASSWORD_SET_BY_ADMIN = "password_set_by_admin", _("Password set by an administrator")


#: The sentence of each kind when its parameter is given; ``%(name)s`` are parameters.
SENTENCES: dict[str, Promise] = {
    Kind.REFERRAL_NEW: _("A new referral was sent to your agency."),
    Kind.REFERRAL_ANSWERED: _("A referral you sent was answered: %(status)s."),
    Kind.REFERRAL_RESPONSE_DUE: _("A referral to your agency needs an answer by %(due)s."),
    Kind.REFERRAL_OVERDUE: _(
        "A referral to your agency was not answered by its deadline (%(due)s)."
    ),
    Kind.RG_DECISION_DUE: _("The reasonable-grounds decision is due on %(due)s."),
    Kind.RG_DECISION_OVERDUE: _(
        "The reasonable-grounds decision was due on %(due)s and is overdue."
    ),
    Kind.REFLECTION_ENDING: _("The recovery and reflection period ends on %(due)s."),
    Kind.CONSENT_WITHDRAWN: _("Consent was withdrawn; access that rested on it has ended."),
    Kind.ACCESS_REQUESTED: _("An agency asks for access to a case (purpose: %(purpose)s)."),
    Kind.ACCESS_ANSWERED: _("Your request for access was answered: %(decision)s."),
    Kind.HANDOVER_REQUESTED: _("An agency asks to hand a case over to your agency."),
    Kind.HANDOVER_ANSWERED: _("Your request to hand a case over was answered: %(decision)s."),
    Kind.API_TOKEN_REVOKED: _(
        "An administrator revoked one of your API tokens: programs using it can no longer "
        "connect. Create a new token if you still need one, or ask your administrator why."
    ),
    Kind.SECOND_FACTOR_RESET: _(
        "An administrator removed a second-factor device of yours. Without one, you set up "
        "a new second factor at your next sign-in and your API tokens were revoked. If you "
        "did not ask for this, tell your administrator."
    ),
    Kind.PASSWORD_SET_BY_ADMIN: _(
        "An administrator set a new password for your account: you will also set up a new "
        "second factor. If you did not ask for this, tell your administrator."
    ),
}

#: The sentence of each kind when its parameter was not given.
SHORT_SENTENCES: dict[str, Promise] = {
    Kind.REFERRAL_ANSWERED: _("A referral you sent was answered."),
    Kind.REFERRAL_RESPONSE_DUE: _("A referral to your agency is waiting for an answer."),
    Kind.REFERRAL_OVERDUE: _("A referral to your agency was not answered in time."),
    Kind.RG_DECISION_DUE: _("A reasonable-grounds decision is due soon."),
    Kind.RG_DECISION_OVERDUE: _("A reasonable-grounds decision is overdue."),
    Kind.REFLECTION_ENDING: _("A recovery and reflection period ends soon."),
    Kind.ACCESS_REQUESTED: _("An agency asks for access to a case."),
    Kind.ACCESS_ANSWERED: _("Your request for access was answered."),
    Kind.HANDOVER_ANSWERED: _("Your request to hand a case over was answered."),
}

#: The parameter each kind may take (optional: without it, the short sentence is shown).
KIND_PARAMS: dict[str, tuple[str, ...]] = {
    Kind.REFERRAL_NEW: (),
    Kind.REFERRAL_ANSWERED: ("status",),
    Kind.REFERRAL_RESPONSE_DUE: ("due",),
    Kind.REFERRAL_OVERDUE: ("due",),
    Kind.RG_DECISION_DUE: ("due",),
    Kind.RG_DECISION_OVERDUE: ("due",),
    Kind.REFLECTION_ENDING: ("due",),
    Kind.CONSENT_WITHDRAWN: (),
    Kind.ACCESS_REQUESTED: ("purpose",),
    Kind.ACCESS_ANSWERED: ("decision",),
    Kind.HANDOVER_REQUESTED: (),
    Kind.HANDOVER_ANSWERED: ("decision",),
    Kind.API_TOKEN_REVOKED: (),
    Kind.SECOND_FACTOR_RESET: (),
    Kind.PASSWORD_SET_BY_ADMIN: (),
}

#: Referral statuses as words (the referral workflow's codes).
REFERRAL_STATUS_LABELS: dict[str, Promise] = {
    "draft": _("draft"),
    "sent": _("sent"),
    "acknowledged": _("acknowledged"),
    "accepted": _("accepted"),
    "declined": _("declined"),
    "in_progress": _("in progress"),
    "completed": _("completed"),
    "withdrawn": _("withdrawn"),
    "expired": _("expired"),
}

#: Answers to an access or handover request.
DECISION_LABELS: dict[str, Promise] = {
    "approved": _("approved"),
    "refused": _("refused"),
    "accepted": _("accepted"),
    "declined": _("declined"),
    "withdrawn": _("withdrawn"),
}

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _purpose_labels() -> Mapping[str, Any]:
    from opennrm.cases.models import AccessPurpose

    return {code: label for code, label in AccessPurpose.choices}


@dataclass(frozen=True)
class _Param:
    """How one parameter is checked when stored and shown when read."""

    check: Callable[[Any], bool]
    show: Callable[[Any], str]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _word(labels: Callable[[], Mapping[str, Any]]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        label = labels().get(value)
        # a code never reaches a page raw: an unknown one reads as a neutral word
        return str(label) if label is not None else gettext("updated")

    return show


PARAMS: dict[str, _Param] = {
    # ISO dates, as on the rest of the pages: unambiguous in every language
    "due": _Param(check=_is_iso_date, show=lambda v: date.fromisoformat(v).isoformat()),
    "status": _Param(
        check=lambda v: isinstance(v, str) and bool(_CODE.fullmatch(v)),
        show=_word(lambda: REFERRAL_STATUS_LABELS),
    ),
    "decision": _Param(
        check=lambda v: isinstance(v, str) and bool(_CODE.fullmatch(v)),
        show=_word(lambda: DECISION_LABELS),
    ),
    "purpose": _Param(
        check=lambda v: isinstance(v, str) and bool(_CODE.fullmatch(v)),
        show=_word(_purpose_labels),
    ),
}


def clean_params(kind: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters to store, or ValidationFailed: only the kind's own (optional)
    parameters, each a code or an ISO date, so that no free text (and so no personal
    data) is stored."""
    if kind not in KIND_PARAMS:
        raise ValidationFailed(gettext("Unknown kind of notification."), field="kind")
    given = dict(params or {})
    for name, value in given.items():
        if isinstance(value, date):
            given[name] = value.isoformat()
    wanted = KIND_PARAMS[kind]
    if set(given) - set(wanted):
        raise ValidationFailed(
            gettext("This notification takes the parameters %(wanted)s.")
            % {"wanted": ", ".join(wanted) or "-"},
            field="params",
        )
    for name in given:
        if not PARAMS[name].check(given[name]):
            raise ValidationFailed(
                gettext("The parameter %(name)s must be a code or a date.") % {"name": name},
                field="params",
            )
    return given


def render_sentence(kind: str, params: Mapping[str, Any]) -> str:
    """The sentence in the active language. Never fails: without its parameter (or with
    one that no longer fits) a kind reads as its short sentence, an unknown kind as a label."""
    sentence = SENTENCES.get(kind)
    if sentence is None:
        return str(kind_label(kind))
    short = SHORT_SENTENCES.get(kind, sentence)
    names = KIND_PARAMS[kind]
    if not names:
        return str(sentence)
    try:
        values = {name: PARAMS[name].show(params[name]) for name in names}
    except (KeyError, ValueError, TypeError, AttributeError):
        return str(short)
    return str(sentence) % values


def kind_label(kind: str) -> str:
    try:
        return str(Kind(kind).label)
    except ValueError:
        return gettext("Notification")
