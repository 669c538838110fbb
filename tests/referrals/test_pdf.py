"""The printable referral: only what the referral shares, in the receiver's language,
audited without values; the download refuses anyone outside the referral."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from opennrm.accounts.roles import Role
from opennrm.audit.models import AuditEntry
from opennrm.cases.policy import PERSON_FIELDS, profile_for
from opennrm.cases.services import person_save
from opennrm.core.errors import NotFound, ValidationFailed
from opennrm.referrals.pdf import referral_pdf
from opennrm.referrals.services import PURPOSE_FOR_SERVICE, referral_create, referral_transition
from tests.cases.helpers import open_case, referred_case, step
from tests.conftest import verified_client
from tests.factories import UserFactory
from tests.referrals.helpers import consent_to_service, shelter_of

ARTIFACTS = Path(
    os.environ.get("OPENNRM_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")

pytestmark = pytest.mark.skipif(
    PDFTOTEXT is None and not os.environ.get("OPENNRM_REQUIRE_BROWSER"),
    reason="poppler-utils is not installed (apt-get install poppler-utils); scripts/test installs it",
)

PERSON = {
    "given_name": "Олена",
    "family_name": "Дмитренко",
    "gender": "female",
    "languages": "uk, ru",
    "date_of_birth": date(1994, 3, 17),
    "documents": "Passport AB123456",
    "contact": "+380 67 555 1234",
    "citizenship": "Moldova",
}
#: the consent leaves out the safe contact, which the shelter profile would show
CONSENTED = ("given_name", "family_name", "gender", "languages", "date_of_birth", "documents")


def text_of(pdf: bytes, tmp_path: Path, name: str = "form") -> str:
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [PDFTOTEXT, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return " ".join(out.stdout.decode("utf-8").split())  # table cells wrap labels


@pytest.fixture
def decided(world):
    """Referred by the police, reasonable grounds decided by the coordinator."""
    case = referred_case(world)
    person_save(actor=world.officer, case=case, expected_version=None, data=dict(PERSON))
    case.refresh_from_db()
    step(case, world.coordinator, "decide_reasonable_grounds")
    case.refresh_from_db()
    return case


@pytest.fixture
def referral(world, decided):
    shelter = shelter_of(world.ngo, name="Притулок «Гавань»")
    consent_to_service(decided, world.coordinator, shelter, fields=CONSENTED)
    return referral_create(
        actor=world.coordinator,
        case=decided,
        service=shelter,
        note="Arrives by train; needs a bed for a mother and a child.",
    )


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        (
            "uk",
            (
                "Направлення до служби",
                "Персональні дані",
                "Строк відповіді",
                "Притулок і проживання",
                "Дата надсилання",
                "Надіслано",  # the status
            ),
        ),
        (
            "ru",
            ("Направление в службу", "Персональные данные", "Срок ответа", "Приют и проживание"),
        ),
        (
            "en",
            ("Referral to a service", "Personal data", "Answer due", "Shelter and accommodation"),
        ),
    ],
)
def test_form_holds_only_the_shared_fields_in_the_language(
    world, referral, tmp_path, language, labels
):
    pdf = referral_pdf(actor=world.ngo_worker, referral=referral, language=language)
    text = text_of(pdf, tmp_path, language)
    assert referral.case.reference in text
    assert "Притулок «Гавань»" in text  # the service, in Cyrillic
    assert "Олена" in text and "Дмитренко" in text  # shelter profile ∩ consent
    assert "female" in text
    assert world.coordinator.username in text and "National Coordination" in text  # sender
    assert "Arrives by train" in text
    assert text.count("Притулок «Гавань»") == 2  # the service, and the one the consent names
    for label in labels:
        assert label in text, label
    # outside the shelter profile
    assert "AB123456" not in text and "1994" not in text and "Moldova" not in text
    # inside the profile but outside the consent's scope
    assert "555 1234" not in text
    if PDFTOPPM and language == "uk":
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "referral-uk.pdf").write_bytes(pdf)
        subprocess.run(
            [
                PDFTOPPM,
                *("-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile"),
                str(ARTIFACTS / "referral-uk.pdf"),
                str(ARTIFACTS / "referral-uk-page1"),
            ],
            check=True,
        )


#: one recognisable value per person field, to find it (or not) in the printed text
DISTINCT = {
    "given_name": "Олена",
    "family_name": "Дмитренко",
    "other_names": "Lenochka Vee",
    "date_of_birth": date(1994, 3, 17),
    "age_band": "band-25-34",
    "gender": "female",
    "citizenship": "Moldova",
    "languages": "romani, polski",
    "contact": "+380 67 555 1234",
    "documents": "Passport AB123456",
}
SHOWN = {f: str(v) for f, v in DISTINCT.items()}


@pytest.mark.parametrize("service_type", sorted(PURPOSE_FOR_SERVICE))
def test_every_service_type_prints_exactly_its_profile_within_the_consent(
    world, service_type, tmp_path
):
    """Generated from the policy table: for each kind of service, a value is on the form
    if and only if its field is in the purpose's profile and in the consent's scope."""
    case = referred_case(world)
    person_save(actor=world.officer, case=case, expected_version=None, data=dict(DISTINCT))
    case.refresh_from_db()
    step(case, world.coordinator, "decide_reasonable_grounds")
    case.refresh_from_db()
    scope = tuple(f for i, f in enumerate(PERSON_FIELDS) if i % 3 != 1)  # leaves some out
    service = shelter_of(world.ngo, service_type=service_type)
    consent_to_service(case, world.coordinator, service, fields=scope)
    referral = referral_create(actor=world.coordinator, case=case, service=service)
    expected = profile_for(PURPOSE_FOR_SERVICE[service_type]).person_visible & set(scope)
    # the receiver, and the sender who sees the whole case, print the same share
    for actor in (world.ngo_worker, world.coordinator):
        text = text_of(referral_pdf(actor=actor, referral=referral, language="en"), tmp_path)
        for field, value in SHOWN.items():
            assert (value in text) == (field in expected), (field, service_type, actor.username)
        entry = AuditEntry.objects.filter(action="referral.print").latest("seq")
        assert set(entry.detail["fields"]) == expected and entry.username == actor.username


def test_ukrainian_form_has_no_english_labels(world, referral, tmp_path):
    text = text_of(referral_pdf(actor=world.ngo_worker, referral=referral, language="uk"), tmp_path)
    for english in ("Personal data", "Answer due", "Case reference", "Sent by", "Deadlines"):
        assert english not in text


def test_print_is_audited_with_field_names_only(world, referral, tmp_path):
    referral_pdf(actor=world.ngo_worker, referral=referral, language="uk")
    entry = AuditEntry.objects.get(action="referral.print")
    assert entry.username == world.ngo_worker.username
    assert entry.object_ref == referral.case.reference
    assert entry.purpose == "shelter"
    assert entry.detail["referral_id"] == referral.pk
    assert entry.detail["fields"] == ["given_name", "family_name", "gender", "languages"]
    assert entry.detail["language"] == "uk"
    stored = json.dumps(entry.detail, ensure_ascii=False)
    for value in ("Олена", "Дмитренко", "female", "AB123456", "555 1234"):
        assert value not in stored


def test_the_sender_prints_what_the_receiver_gets_not_its_own_view(world, referral, tmp_path):
    """The coordinator sees everything on the case; the form still carries the shelter's
    share, and the deadlines of the case only where the receiver's profile shows them."""
    text = text_of(
        referral_pdf(actor=world.coordinator, referral=referral, language="en"), tmp_path
    )
    assert "Олена" in text
    assert "AB123456" not in text and "1994-03-17" not in text and "555 1234" not in text
    assert "Reasonable-grounds decision due" not in text  # the shelter profile has no deadlines
    assert "Answer due" in text
    entry = AuditEntry.objects.filter(action="referral.print").latest("seq")
    assert entry.purpose == "nrm_referral" and "documents" not in entry.detail["fields"]


def test_closed_referral_prints_without_personal_data_for_the_receiver(world, referral, tmp_path):
    referral_transition(
        actor=world.ngo_worker,
        referral=referral,
        action="decline",
        expected_version=referral.version,
        reason="No bed free for a family.",
    )
    text = text_of(referral_pdf(actor=world.ngo_worker, referral=referral, language="en"), tmp_path)
    assert referral.case.reference in text and "Declined" in text
    assert "Олена" not in text and "Дмитренко" not in text
    assert AuditEntry.objects.filter(action="referral.print").latest("seq").detail["fields"] == []


def test_withdrawn_consent_prints_no_personal_data(world, referral, tmp_path):
    from opennrm.cases.services import consent_withdraw

    consent_withdraw(actor=world.coordinator, consent=referral.consent)
    referral.refresh_from_db()
    text = text_of(
        referral_pdf(actor=world.coordinator, referral=referral, language="en"), tmp_path
    )
    assert "Олена" not in text and "Withdrawn" in text


def test_legal_aid_referral_shows_the_case_deadlines(world, decided, tmp_path):
    lawyer = shelter_of(world.ngo, name="Legal clinic", service_type="legal_aid")
    consent_to_service(decided, world.coordinator, lawyer)
    referral = referral_create(actor=world.coordinator, case=decided, service=lawyer)
    text = text_of(referral_pdf(actor=world.ngo_worker, referral=referral, language="en"), tmp_path)
    assert "Reasonable-grounds decision due" in text and "Recovery and reflection" in text
    assert "AB123456" in text and "1994-03-17" in text  # legal aid sees documents and birth date
    assert "555 1234" not in text  # ... but not the safe contact


def test_child_referred_on_a_legal_basis_shows_the_basis(world, tmp_path):
    case = open_case(world.officer, is_child=True)
    step(case, world.officer, "screen", outcome="presumed_victim")
    person_save(actor=world.officer, case=case, expected_version=None, data={"given_name": "Іван"})
    case.refresh_from_db()
    service = shelter_of(world.ngo, name="Child protection unit", service_type="child_protection")
    world.officer.may_share_without_consent = True
    world.officer.save(update_fields=["may_share_without_consent"])
    referral = referral_create(
        actor=world.officer,
        case=case,
        service=service,
        legal_basis="child_protection",
        legal_basis_note="Child Protection Act, art. 12",
    )
    text = text_of(referral_pdf(actor=world.ngo_worker, referral=referral, language="uk"), tmp_path)
    assert "Іван" in text and "Child Protection Act, art. 12" in text
    assert "Правова підстава" in text


def test_bad_language_and_outsiders_are_refused(world, referral):
    with pytest.raises(ValidationFailed) as err:
        referral_pdf(actor=world.ngo_worker, referral=referral, language="de")
    assert err.value.field == "lang"
    analyst = UserFactory(username="ngo-analyst", agency=world.ngo, role=Role.ANALYST)
    for outsider in (world.border_guard, world.inspector, analyst):
        with pytest.raises(NotFound):
            referral_pdf(actor=outsider, referral=referral, language="en")
    assert not AuditEntry.objects.filter(action="referral.print").exists()


@pytest.fixture
def pdf_urls(settings):
    settings.ROOT_URLCONF = "tests.referrals.pdf_urls"


def test_download(world, referral, pdf_urls, tmp_path):
    client = verified_client(world.ngo_worker)
    response = client.get(f"/referrals/{referral.pk}/pdf/?lang=ru")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="referral-{referral.pk}-ru.pdf"'
    )
    assert response["Cache-Control"] == "no-store"
    text = text_of(response.content, tmp_path)
    assert "Направление в службу" in text and "Олена" in text


def test_download_falls_back_to_the_page_language(world, referral, pdf_urls, tmp_path):
    client = verified_client(world.ngo_worker)
    client.cookies["django_language"] = "uk"
    response = client.get(f"/referrals/{referral.pk}/pdf/?lang=xx")
    assert response.status_code == 200
    assert "Направлення до служби" in text_of(response.content, tmp_path)


def test_download_is_404_for_a_user_outside_the_referral(world, referral, pdf_urls):
    for outsider in (world.border_guard, world.inspector):
        response = verified_client(outsider).get(f"/referrals/{referral.pk}/pdf/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
    assert verified_client(world.ngo_worker).get("/referrals/999999/pdf/").status_code == 404
    assert not AuditEntry.objects.filter(action="referral.print").exists()


def test_download_needs_a_signed_in_user(world, referral, pdf_urls):
    from django.test import Client

    response = Client().get(f"/referrals/{referral.pk}/pdf/")
    assert response.status_code == 302 and "/referrals/" not in response["Location"].split("?")[0]
