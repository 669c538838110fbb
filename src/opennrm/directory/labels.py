"""Translated words for codes shown on pages: languages, week days, ranking notes."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from opennrm.directory.models import ServiceStatus, ServiceType
from opennrm.directory.scoring import Note

#: ISO 639-1 codes of the languages the directory names; any other code is shown as it is
LANGUAGE_NAMES = {
    "uk": gettext_lazy("Ukrainian"),
    "ru": gettext_lazy("Russian"),
    "en": gettext_lazy("English"),
    "pl": gettext_lazy("Polish"),
    "ro": gettext_lazy("Romanian"),
    "de": gettext_lazy("German"),
    "hu": gettext_lazy("Hungarian"),
    "sk": gettext_lazy("Slovak"),
    "be": gettext_lazy("Belarusian"),
    "ka": gettext_lazy("Georgian"),
    "fr": gettext_lazy("French"),
    "ar": gettext_lazy("Arabic"),
    "tr": gettext_lazy("Turkish"),
    "vi": gettext_lazy("Vietnamese"),
    "zh": gettext_lazy("Chinese"),
}

WEEK_DAYS = {
    "MO": gettext_lazy("Monday"),
    "TU": gettext_lazy("Tuesday"),
    "WE": gettext_lazy("Wednesday"),
    "TH": gettext_lazy("Thursday"),
    "FR": gettext_lazy("Friday"),
    "SA": gettext_lazy("Saturday"),
    "SU": gettext_lazy("Sunday"),
}


def language_name(code: str) -> str:
    name = LANGUAGE_NAMES.get(code.lower())
    return str(name) if name is not None else code


def opening_hours(schedules: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(day, hours) rows in week order, e.g. ("Monday", "09:00–17:00"); free-text schedules
    without days come last with an empty day."""
    rows: dict[str, list[str]] = {}
    extra: list[tuple[str, str]] = []
    for item in schedules:
        opens, closes = item.get("opens_at", "")[:5], item.get("closes_at", "")[:5]
        hours = f"{opens}–{closes}" if opens and closes else item.get("description", "")
        days = [d for d in item.get("byday", "").split(",") if d in WEEK_DAYS]
        if not days:
            if hours:
                extra.append(("", hours))
            continue
        for day in days:
            rows.setdefault(day, []).append(hours)
    ordered = [(str(WEEK_DAYS[d]), ", ".join(rows[d])) for d in WEEK_DAYS if d in rows]
    return ordered + extra


def note_text(note: Note) -> str:
    """One plain-language sentence for a ranking reason or problem."""
    code = note.code
    if code == "need":
        label = ServiceType(str(note.param("type"))).label
        return _("Offers what the person needs: %(type)s") % {"type": label}
    if code == "speaks":
        return _("Speaks %(language)s") % {"language": language_name(str(note.param("language")))}
    if code == "not_speaks":
        return _("Does not speak %(language)s") % {
            "language": language_name(str(note.param("language")))
        }
    if code == "in_region":
        return _("In the person's region (%(region)s)") % {"region": note.param("region")}
    if code == "nationwide":
        return _("Serves the whole country")
    if code == "other_region":
        return _("In another region")
    if code == "for_women":
        return _("Specialised for women")
    if code == "for_men":
        return _("Specialised for men")
    if code == "for_children":
        return _("Specialised for children")
    if code == "places_free":
        count = int(note.param("count"))
        return ngettext("%(count)s place free", "%(count)s places free", count) % {"count": count}
    if code == "places_stale":
        days = int(note.param("days"))
        return ngettext(
            "Free places last updated %(days)s day ago: call to check",
            "Free places last updated %(days)s days ago: call to check",
            days,
        ) % {"days": days}
    if code == "full":
        return _("Full: no places free")
    if code == "inactive":
        label = ServiceStatus(str(note.param("status"))).label
        return _("Not taking referrals now (%(status)s)") % {"status": label}
    if code == "women_only":
        return _("Only for women")
    if code == "men_only":
        return _("Only for men")
    if code == "ages":
        return _("Ages %(min)s–%(max)s only") % {"min": note.param("min"), "max": note.param("max")}
    if code == "age_from":
        return _("Only from age %(min)s") % {"min": note.param("min")}
    if code == "age_to":
        return _("Only up to age %(max)s") % {"max": note.param("max")}
    if code == "nationality":
        return _("Only for these nationalities or statuses: %(accepted)s") % {
            "accepted": note.param("accepted")
        }
    raise ValueError(f"unknown note code {code!r}")  # a programming error: every code is here
