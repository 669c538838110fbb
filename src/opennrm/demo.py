"""Synthetic demo data, clearly labelled: every agency is marked ``is_synthetic``
and named "(DEMO)". No real person, case or agency is represented.

It spans the apps (agencies and users, cases, screenings, referrals, the directory, online
monitoring), so it lives above them, beside the CLI that calls it; no app imports it (an
import-linter contract in ``pyproject.toml``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import AgencyType, Role
from opennrm.accounts.services import agency_create, user_create
from opennrm.cases.models import AccessPurpose, Case, CaseEvent, ExploitationType
from opennrm.cases.policy import PERSON_FIELDS
from opennrm.cases.services import (
    case_create,
    case_transition,
    consent_record,
    grant_create,
    person_save,
)
from opennrm.cases.workflow import ScreeningOutcome

DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - printed to the demo user on purpose

_AGENCIES = [
    ("National Anti-Trafficking Coordination Office", AgencyType.SOCIAL_PROTECTION, "UA", "Kyiv"),
    ("Kyiv Police Department", AgencyType.POLICE, "UA", "Kyiv"),
    ("Lviv Anti-Trafficking Police Unit", AgencyType.ATHB_POLICE, "UA", "Lviv"),
    ("State Border Guard, Western Region", AgencyType.BORDER_GUARD, "UA", "Volyn"),
    ("Labour Inspectorate, Odesa", AgencyType.LABOUR_INSPECTORATE, "UA", "Odesa"),
    ("Migration Service, Chernivtsi", AgencyType.MIGRATION, "UA", "Chernivtsi"),
    ("Safe Harbour NGO", AgencyType.NGO, "UA", "Lviv"),
    ("City Hospital No. 3", AgencyType.HEALTH, "UA", "Kharkiv"),
    ("Regional Prosecutor's Office", AgencyType.PROSECUTOR, "UA", "Dnipro"),
    ("International Migration Office", AgencyType.INTERNATIONAL, "UA", "Kyiv"),
]

# username, agency index, role
_USERS = [
    ("coordinator", 0, Role.COORDINATOR),
    ("casemanager", 0, Role.CASE_MANAGER),
    ("police", 1, Role.FRONTLINE),
    ("athbpolice", 2, Role.CASE_MANAGER),
    ("borderguard", 3, Role.FRONTLINE),
    ("labourinspector", 4, Role.FRONTLINE),
    ("migration", 5, Role.FRONTLINE),
    ("ngo", 6, Role.SERVICE_PROVIDER),
    ("ngomanager", 6, Role.CASE_MANAGER),
    ("analyst", 0, Role.ANALYST),
    ("auditor", 0, Role.AUDITOR),
    ("admin", 0, Role.ADMIN),
]

# (transition names to apply in order), weight
_PATHS: list[tuple[tuple[str, ...], int]] = [
    ((), 20),
    (("screen",), 20),
    (("screen", "refer"), 35),
    (("screen", "refer", "decide_reasonable_grounds"), 15),
    (("screen", "refer", "decide_reasonable_grounds", "start_reflection"), 35),
    (("screen", "refer", "decide_reasonable_grounds", "start_reflection", "identify"), 15),
    (("screen", "refer", "decide_reasonable_grounds", "start_reflection", "not_identify"), 6),
    (
        (
            "screen",
            "refer",
            "decide_reasonable_grounds",
            "start_reflection",
            "identify",
            "start_assistance",
        ),
        30,
    ),
    (
        (
            "screen",
            "refer",
            "decide_reasonable_grounds",
            "start_reflection",
            "identify",
            "start_assistance",
            "close",
        ),
        12,
    ),
    (("screen", "refer", "reject_reasonable_grounds"), 5),
    (("screen", "lose_contact"), 4),
    (("withdraw",), 3),
]

_ACTOR_FOR = {
    "screen": "police",
    "refer": "police",
    "decide_reasonable_grounds": "coordinator",
    "reject_reasonable_grounds": "coordinator",
    "start_reflection": "casemanager",
    "identify": "coordinator",
    "not_identify": "coordinator",
    "start_assistance": "casemanager",
    "close": "casemanager",
    "lose_contact": "police",
    "withdraw": "coordinator",
}


# Published shapes, so that statistics look like the field (approximate shares):
# forms of exploitation after the UK Home Office NRM statistics for 2024 (labour the
# most common, then criminal, then sexual exploitation, about a tenth not specified);
# gender 73 % male / 27 % female and the nationality mix (23 % nationals, then four
# foreign nationalities at 13, 11, 9 and 6 %) from the same statistics; ages in the
# CTDC age bands (``ageBroad``) with a CTDC-like shape. None of it is a real person.
_EXPLOITATION_MIX = (
    [
        ExploitationType.LABOUR,
        ExploitationType.CRIMINALITY,
        ExploitationType.SEXUAL,
        ExploitationType.DOMESTIC_SERVITUDE,
        ExploitationType.BEGGING,
        ExploitationType.FORCED_MARRIAGE,
        ExploitationType.ORGAN_REMOVAL,
        ExploitationType.OTHER,
        ExploitationType.UNKNOWN,
    ],
    [38, 28, 15, 5, 2, 1, 0.2, 1, 9.8],
)
_AGE_BANDS = {
    "0--8": (3, 8),
    "9--17": (9, 17),
    "18--20": (18, 20),
    "21--23": (21, 23),
    "24--26": (24, 26),
    "27--29": (27, 29),
    "30--38": (30, 38),
    "39--47": (39, 47),
    "48+": (48, 65),
}.items()
_AGE_WEIGHTS = [2, 22, 10, 11, 11, 10, 20, 9, 5]
_CITIZENSHIP = (
    ["UA", "MD", "VN", "ER", "SD", "RO", "NG", "AL", "IN", "BY"],
    [23, 13, 11, 9, 6, 8, 8, 8, 8, 6],
)


@dataclass
class DemoSummary:
    agencies: int
    users: list[tuple[str, str, str]]
    cases: int
    password: str


def demo_exists() -> bool:
    return Agency.objects.filter(is_synthetic=True).exists()


@transaction.atomic
def load_demo(*, cases: int = 200, seed: int = 2026) -> DemoSummary:
    rng = random.Random(seed)
    agencies = [
        agency_create(
            actor=None,
            name=f"{name} (DEMO)",
            type=kind,
            country=country,
            region=region,
            is_synthetic=True,
        )
        for name, kind, country, region in _AGENCIES
    ]
    users: dict[str, User] = {}
    for username, idx, role in _USERS:
        users[username] = user_create(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            agency=agencies[idx] if idx is not None else None,
            role=role,
            check_password_strength=False,
        )
    coordination = agencies[0]
    # Front-line cases are opened by the police user; the coordinator's office receives referrals.
    ngo = agencies[6]
    paths = [p for p, _w in _PATHS]
    weights = [w for _p, w in _PATHS]
    now = timezone.now()
    regions = ["Kyiv", "Lviv", "Odesa", "Kharkiv", "Volyn", "Chernivtsi", "Dnipro"]
    for i in range(cases):
        path = rng.choices(paths, weights)[0]
        # most cases come from patrol police; a quarter from the specialised unit, whose
        # case manager also shares them with the NGO that runs the shelter
        opener = users["athbpolice"] if rng.random() < 0.25 else users["police"]
        if "withdraw" in path:  # withdrawal is the owner's step, taken by its case manager
            opener = users["athbpolice"]
        kind = rng.choices(_EXPLOITATION_MIX[0], _EXPLOITATION_MIX[1])[0]
        forced = kind == ExploitationType.CRIMINALITY or rng.random() < 0.05
        band, (low, high) = rng.choices(list(_AGE_BANDS), _AGE_WEIGHTS)[0]
        case = case_create(
            actor=opener,
            exploitation_type=kind,
            region=rng.choice(regions),
            is_child=high < 18,
            summary=f"Synthetic demo case {i + 1}. Not a real person.",
            forced_criminality=forced,
            forced_criminality_note="Synthetic: made to transport drugs across the border."
            if forced
            else "",
        )
        # Spread the story over the past ~80 days so that some deadlines are overdue, and
        # most cases over the year before, so that statistics have months to show (not
        # further back: a referral's grant runs for at most a year from the referral).
        when = now - timedelta(
            days=rng.randint(0, 80) if rng.random() < 0.3 else rng.randint(81, 350)
        )
        Case.objects.filter(pk=case.pk).update(created_at=when)
        CaseEvent.objects.filter(case=case, kind="created").update(at=when)
        registered = when.date()
        for step in path:
            actor = (
                opener if step in ("screen", "refer", "lose_contact") else users[_ACTOR_FOR[step]]
            )
            if step == "withdraw":
                actor = opener
            extra = {}
            if step == "screen":
                extra["screening_outcome"] = rng.choice(list(ScreeningOutcome.values))
            if step == "refer":
                extra["referral_agency"] = coordination
                if not case.is_child:  # a child is referred for protection without consent
                    _demo_consent(opener, case, coordination, "nrm_referral", when)
            if step in ("identify", "not_identify") and case.reflection_ends:
                ends = datetime.combine(
                    case.reflection_ends + timedelta(days=1), time(12), tzinfo=UTC
                )
                when = max(when, ends)
            if when > now:
                break  # the story has not got that far yet
            case_transition(
                actor=actor,
                case=case,
                name=step,
                expected_version=case.version,
                reason="Synthetic demo step." if step != "screen" else "",
                now=when,
                **extra,
            )
            when += timedelta(days=rng.randint(1, 9))
        if opener.role == Role.CASE_MANAGER and case.state in (
            "identified",
            "assistance",
            "closed",
        ):
            _demo_consent(opener, case, ngo, AccessPurpose.SHELTER, now)
            grant_create(
                actor=opener,
                case=case,
                agency=ngo,
                purpose=AccessPurpose.SHELTER,
                expires_at=now + timedelta(days=90),
                note="Synthetic demo grant",
            )
        if rng.random() < 0.85:
            age = rng.randint(low, high)
            person_save(
                actor=opener,
                case=case,
                expected_version=None,
                data={
                    "given_name": "DEMO",
                    "family_name": f"Person {i + 1}",
                    "age_band": band,
                    # fictional: a date that puts the person in the band when registered
                    "date_of_birth": registered.replace(year=registered.year - age, day=1),
                    "gender": rng.choices(["male", "female"], [73, 27])[0],
                    "citizenship": rng.choices(_CITIZENSHIP[0], _CITIZENSHIP[1])[0],
                },
            )
    _demo_screenings(users, rng)
    _demo_online(users["athbpolice"], rng)
    from opennrm.directory.demo import directory_load_demo

    directory_load_demo()
    _demo_referrals(users, rng)
    return DemoSummary(
        agencies=len(agencies),
        users=[
            (u, users[u].get_role_display(), (users[u].agency.name if users[u].agency else "—"))
            for u, _i, _r in _USERS
        ],
        cases=cases,
        password=DEMO_PASSWORD,
    )


def _demo_consent(actor: User, case: Any, agency: Any, purpose: str, when: datetime) -> None:
    consent_record(
        actor=actor,
        case=case,
        kind="sharing",
        purpose=purpose,
        recipient_agency=agency,
        fields=PERSON_FIELDS,
        obtained_on=min(timezone.localdate(), when.date()),
        method="in_person",
        interpreter_language=random.choice(["", "uk", "ru"]),
        guardian="legal_guardian" if case.is_child else "",
    )


def _demo_referrals(users: dict[str, User], rng: random.Random) -> None:
    """The coordinator refers some presumed victims to eligible demo services, with the
    person's consent; the receiving NGO has answered some of them."""
    from opennrm.cases.models import Case
    from opennrm.directory.selectors import services_ranked
    from opennrm.referrals.services import (
        person_needs_profile,
        referral_create,
        referral_transition,
    )

    coordinator = users["coordinator"]
    candidates = Case.objects.filter(
        state__in=["presumed_victim", "recovery_reflection", "identified"],
        person__isnull=False,
        is_child=False,
    ).order_by("id")[:12]
    made = 0
    for case in candidates:
        needs = rng.choice([["shelter"], ["psychological"], ["legal_aid"], ["medical"]])
        profile = person_needs_profile(case)
        ranked = services_ranked(needs=needs, country=case.country, **profile)
        service = next(
            (r.service for r in ranked if r.eligible and r.service.organization.agency_id), None
        )
        if service is None:
            continue
        consent_record(
            actor=coordinator,
            case=case,
            kind="referral",
            service_ref=str(service.pk),
            service_name=service.name,
            fields=PERSON_FIELDS,
            obtained_on=timezone.localdate(),
            method="in_person",
            interpreter_language=rng.choice(["", "uk", "ru"]),
        )
        referral = referral_create(
            actor=coordinator,
            case=case,
            service=service,
            needs=needs,
            note="Synthetic demo referral.",
        )
        receiver = User.objects.filter(
            agency_id=referral.receiving_agency_id, role__in=["service_provider", "case_manager"]
        ).first()
        if receiver is not None and made % 3 != 2:
            referral_transition(
                actor=receiver,
                referral=referral,
                action="accept",
                expected_version=referral.version,
            )
        made += 1


def _demo_screenings(users: dict[str, User], rng: random.Random) -> None:
    """A few completed screenings stored with new cases, one of them with forced criminality."""
    from opennrm.screening import load_catalogue
    from opennrm.screenings.services import screening_open_case, screening_record

    index = load_catalogue().set_index("adult_labour")
    presumed = {
        i: "yes"
        for d in ("deceptive_recruitment", "exploitative_conditions", "coercion_at_destination")
        for i in index.by_dimension[d][:2]
    }
    partial = {i: "yes" for i in index.by_dimension["exploitative_conditions"][:2]}
    for answers, extra in (
        (presumed, {}),
        (partial, {}),
        (presumed, {"forced_criminality.drug_cultivation_or_transport": "yes"}),
    ):
        screening = screening_record(
            actor=users["labourinspector"],
            set_id="adult_labour",
            age=rng.randint(19, 50),
            answers=answers | extra,
        )
        screening_open_case(
            actor=users["labourinspector"],
            screening=screening,
            referral_agency=None,
            region="Odesa",
        )


_POST_TEMPLATES = [
    (
        "uk",
        "Робота в Польщі на складі, {pay} євро на місяць, житло та дорога безкоштовно. Досвід не потрібен. Пишіть тільки в Telegram {handle}",
    ),
    (
        "ru",
        "Требуются девушки 18-25 лет для работы за границей (Дубай), от {pay}$ в месяц, оплата сразу. Билеты оплачиваем. WhatsApp {phone}",
    ),
    (
        "ru",
        "Срочно! Работа в Германии, уборка, {pay} евро. Документы и визу сделаем сами, нужна только предоплата 200 евро. {handle}",
    ),
    (
        "pl",
        "Praca w Niemczech od zaraz, {pay} euro miesięcznie, mieszkanie i transport zapewnione. Tel {phone}",
    ),
    (
        "en",
        "Easy money! Models wanted for hostess work abroad, {pay} USD weekly, no experience, travel paid. Contact {handle}",
    ),
]
_BENIGN = [
    ("uk", "Продам дитячий візок, стан гарний, Львів"),
    ("ru", "Подскажите, где в Варшаве можно бесплатно проконсультироваться у юриста?"),
    ("uk", "Шукаю кімнату в Кракові на два місяці, без посередників"),
    ("pl", "Sprzedam rower miejski, stan bardzo dobry"),
    ("en", "Volunteer English classes for refugees every Tuesday at the library"),
]


def _demo_online(user: User, rng: random.Random) -> None:
    """Synthetic recruitment ads (several near-duplicate campaigns sharing contacts) and
    ordinary posts, imported through the real pipeline into the user's alert queue."""
    import json
    import tempfile
    from pathlib import Path

    from opennrm.online.services import online_import

    handles = ["@demo_rabota_pl", "@demo_jobs_eu", "@demo_hostess_work"]
    phones = ["+380 67 000 11 22", "+48 500 000 111", "+380 50 000 33 44"]
    rows = []
    for n in range(60):
        _lang, text = rng.choice(_POST_TEMPLATES)
        rows.append(
            {
                "text": text.format(
                    pay=rng.choice([1800, 2500, 3000, 4000, 5000]),
                    handle=rng.choice(handles),
                    phone=rng.choice(phones),
                ),
                "channel": f"demo-channel-{rng.randint(1, 4)} (SYNTHETIC)",
                "date": f"2026-11-{rng.randint(1, 24):02d}T{rng.randint(8, 22):02d}:00:00+00:00",
                "id": n,
            }
        )
    for n, (_lang, text) in enumerate(_BENIGN * 4):
        rows.append({"text": text, "channel": "demo-community (SYNTHETIC)", "id": 1000 + n})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-posts.jsonl"
        path.write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
        )
        online_import(actor=user, path=path, source_name="synthetic demo posts")
