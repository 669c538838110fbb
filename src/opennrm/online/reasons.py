"""Reasons behind a score, said in the reader's language.

Posts store their reasons as data (kind, flag id or n-gram, weight, the evidence words);
the page builds the sentence in the interface language at display time, so a Ukrainian
page never shows an English reason, and a catalogue update reaches old posts too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from opennrm.monitoring import load_flags

_QUOTED = re.compile(r'"([^"]+)"')
# punctuation the word holding an n-gram was cut out with ("111," "оплата.")
_WORD_EDGE = re.compile(r"^[^\w]+|[^\w]+$")


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _evidence(reason: Mapping[str, Any]) -> str:
    evidence = str(reason.get("evidence") or "")
    if evidence or reason.get("kind") != "flag":
        return evidence
    # posts stored before reasons kept their evidence apart: "flag: Label ("words")"
    quoted = _QUOTED.findall(str(reason.get("text", "")))
    return quoted[-1] if quoted else ""


def describe_reason(reason: Mapping[str, Any], language: str | None = None) -> str:
    """One reason as a sentence in ``language`` (default: the active one)."""
    lang = language or _language()
    kind = reason.get("kind")
    evidence = _evidence(reason)
    if kind == "flag":
        flag = load_flags().by_id.get(str(reason.get("id", "")))
        if flag is None:  # a flag of an older flags file
            return str(reason.get("text", ""))
        label = flag.label.get(lang) or flag.label["en"]
        if evidence:
            return _("Indicator: %(label)s (“%(words)s”)") % {"label": label, "words": evidence}
        return _("Indicator: %(label)s") % {"label": label}
    ngram = str(reason.get("id", "")).strip()
    raw = float(reason.get("weight", 0.0))
    # with the decimal sign of the page ("+0,30" in Ukrainian and Russian, beside a risk
    # of "0,99"), not always "+0.30"
    weight = ("-" if raw < 0 else "+") + number_format(abs(raw), 2)
    # the word (or words) the model's n-gram lies in, not the n-gram: "«опл» у «оплата»"
    # meant nothing to an officer; the word is what the text says
    return _("Model: “%(ngram)s” (%(weight)s)") % {
        "ngram": _WORD_EDGE.sub("", evidence) or ngram,
        "weight": weight,
    }


def alert_labels(reasons: Iterable[Mapping[str, Any]], language: str | None = None) -> list[str]:
    """The labels, in ``language``, of the alert indicators among a post's reasons: the
    strongest forced-labour signs, which put a post in the queue whatever its risk."""
    lang = language or _language()
    flags = load_flags()
    labels: list[str] = []
    for reason in reasons:
        flag = flags.by_id.get(str(reason.get("id", ""))) if reason.get("kind") == "flag" else None
        if flag is not None and flag.alert:
            label = flag.label.get(lang) or flag.label["en"]
            if label not in labels:
                labels.append(label)
    return labels


def localized_reasons(
    reasons: Iterable[Mapping[str, Any]], language: str | None = None
) -> list[dict[str, str]]:
    """``[{"kind": ..., "code": ..., "text": ...}]`` for a template or the API, in the
    interface language (``code``: an indicator's stable id from the flags file, empty for
    a model reason); a model reason that names the same word as one before it ("на час",
    "час") is left out (whole words: "бот" is said after "робота")."""
    out: list[dict[str, str]] = []
    said: set[str] = set()  # the whole words the model's reasons named so far
    for r in reasons:
        kind = str(r.get("kind", ""))
        if kind != "flag":
            words = set((_WORD_EDGE.sub("", _evidence(r)) or str(r.get("id", ""))).split())
            if words and words <= said:
                continue
            said |= words
        code = str(r.get("id", "")) if kind == "flag" else ""
        out.append({"kind": kind, "code": code, "text": describe_reason(r, language)})
    return out


#: why a post is (not) flagged, as :func:`why_flagged` tells it
WHY_FLAGGED = ("alert", "threshold", "below", "earlier_yes", "earlier_no")


def why_flagged(post: Any, threshold: float, labels: list[str]) -> str:
    """Why ``post`` is (not) flagged (one of :data:`WHY_FLAGGED`), told from what was
    stored and the current model's ``threshold``: a post scored under an earlier model
    may be on the other side of it. ``labels``: its alert indicators (:func:`alert_labels`)."""
    if post.flagged and labels:
        return "alert"
    if post.flagged:
        return "threshold" if post.risk >= threshold else "earlier_yes"
    return "below" if post.risk < threshold else "earlier_no"


def why_flagged_text(why: str, threshold: float, labels: list[str], *, flagged: bool) -> str:
    """The post page's answer to "Alert raised?" as a sentence in the active language (the
    page's own sentences, for the API)."""
    from django.template.defaultfilters import floatformat

    t = floatformat(threshold, 3)
    if why == "alert":
        text = _(
            "Yes, whatever the risk: “%(label)s” is among the strongest signs of forced labour."
        ) % {"label": labels[0] if labels else ""}
    elif why == "threshold":
        text = _("Yes: the risk reaches the alert threshold of the current model (%(t)s).") % {
            "t": t
        }
    elif why == "below":
        text = _("No: the risk is below the alert threshold of the current model (%(t)s).") % {
            "t": t
        }
    elif why == "earlier_yes":
        text = _(
            "Yes: it was scored under an earlier model, whose threshold it reached; the "
            "current model's threshold is %(t)s."
        ) % {"t": t}
    else:
        text = _(
            "No: it was scored under an earlier model, whose threshold it did not reach; "
            "the current model's threshold is %(t)s."
        ) % {"t": t}
    if labels and not flagged:
        text += " " + _(
            "It was scored before its strongest signs put a post in the queue by "
            "themselves; open a case if they are real."
        )
    return text


# labels of the import form's time-zone field (kept here, in the online app's catalogue)
time_zone_label = gettext_lazy("Time zone of times written without one")
time_zone_help = gettext_lazy("For example Europe/Kyiv, Europe/Warsaw or UTC. Empty: the server's.")


# the alert queue's category switch (which queue a flagged post belongs in)
queue_label = gettext_lazy("Queue")
queue_choices = [
    ("recruitment", gettext_lazy("Recruitment with trafficking risk")),
    ("spam", gettext_lazy("Generic spam")),
    ("unflagged", gettext_lazy("Not flagged")),
    ("", gettext_lazy("All posts, recruitment first")),
]
