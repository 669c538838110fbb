"""Keys, trust, export, import and receipts on one deployment, with the partner played
by the pure library (the two-deployment journey is tests/exchange/test_two_deployments.py)."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta

import pytest
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case, Person
from opennrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from opennrm.exchange.keystore import ExchangeNotConfigured, key_file_path, read_key_file
from opennrm.exchange.messages import PackageRefusedError
from opennrm.exchange.models import (
    IncomingPackage,
    OutgoingPackage,
    OwnKey,
    PartnerKey,
    SeenPackage,
)
from opennrm.exchange.services import (
    key_revoke,
    keys_generate,
    keys_rotate,
    package_export,
    package_import,
    partner_trust,
    receipt_send,
)
from opennrm.transnational import generate_keys, receipt_payload
from tests.exchange.conftest import PARTNER, Partner

pytestmark = pytest.mark.django_db


# --- keys -------------------------------------------------------------------------


def test_generate_writes_a_private_key_file_and_only_public_keys_to_the_database(deployment):
    path = key_file_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    keys = read_key_file()
    own = OwnKey.objects.get()
    assert own.signing_kid == keys.current.signing_kid
    assert "d" not in own.signing_jwk and "d" not in own.encryption_jwk
    assert '"d"' in path.read_text()
    assert AuditEntry.objects.filter(action="exchange.keys_generate").count() == 1
    with pytest.raises(ExchangeNotConfigured):
        keys_generate(actor=None, name="again", country="UA")


def test_a_key_file_others_may_read_is_refused(deployment):
    os.chmod(key_file_path(), 0o644)
    with pytest.raises(ExchangeNotConfigured, match="chmod 600"):
        read_key_file()


def test_a_key_file_of_another_deployment_is_refused(deployment, settings):
    settings.OPENNRM_DEPLOYMENT_ID = "md-nrm"
    with pytest.raises(ExchangeNotConfigured):
        read_key_file()


def test_rotate_keeps_the_old_keys_until_they_are_revoked(deployment, partner):
    old = read_key_file().current
    old_package = partner.seal(partner.referral())
    rotated = keys_rotate(actor=None)
    assert rotated.current != old and rotated.pairs[0] == old
    assert OwnKey.objects.count() == 2
    # a package sealed to the old key still opens
    result = package_import(actor=deployment.case_manager, token=old_package)
    assert result.incoming is not None
    assert key_revoke(actor=None, kid=old.signing_kid) == "own"
    assert read_key_file().pairs == (rotated.current,)
    assert OwnKey.objects.get(signing_kid=old.signing_kid).revoked_at is not None
    with pytest.raises(PackageRefusedError) as caught:
        package_import(
            actor=deployment.case_manager,
            token=partner.seal(
                partner.referral(), recipient_public_key=old.public("ua-nrm").encryption
            ),
        )
    assert caught.value.reason == "undecryptable"


def test_the_only_key_cannot_be_revoked(deployment):
    with pytest.raises(Conflict):
        key_revoke(actor=None, kid=read_key_file().current.signing_kid)
    with pytest.raises(NotFound):
        key_revoke(actor=None, kid="no-such-key")


def test_trust_needs_the_typed_fingerprint_to_match_the_keys(deployment):
    stranger = Partner("md-nrm", generate_keys())
    document = stranger.document()
    wrong = Partner("md-nrm", generate_keys()).document()["fingerprint"]
    with pytest.raises(ValidationFailed) as caught:
        partner_trust(actor=None, document=document, typed_fingerprint=wrong)
    assert caught.value.field == "fingerprint"
    # the fingerprint written in the file is never believed
    document["fingerprint"] = wrong
    with pytest.raises(ValidationFailed):
        partner_trust(actor=None, document=document, typed_fingerprint=wrong)
    assert not PartnerKey.objects.exists()
    typed = stranger.document()["fingerprint"].lower().replace(" ", "")
    key = partner_trust(actor=deployment.coordinator, document=document, typed_fingerprint=typed)
    assert key.trusted_by == deployment.coordinator and key.country == "PL"
    assert AuditEntry.objects.filter(action="exchange.partner_trust").count() == 1


@pytest.mark.parametrize(
    "document",
    [None, {}, {"format": "x"}, {"format": "opennrm-exchange-public/1", "deployment_id": "x"}],
)
def test_trust_refuses_what_is_not_a_public_key_file(deployment, document):
    with pytest.raises(ValidationFailed):
        partner_trust(actor=None, document=document, typed_fingerprint="0000")


def test_our_own_keys_cannot_be_trusted_as_a_partner(deployment):
    from opennrm.exchange.selectors import public_document

    document = public_document(read_key_file())
    with pytest.raises(ValidationFailed):
        partner_trust(actor=None, document=document, typed_fingerprint=document["fingerprint"])


def test_only_administrators_and_coordinators_manage_keys(deployment):
    with pytest.raises(Forbidden):
        keys_rotate(actor=deployment.case_manager)


# --- export -------------------------------------------------------------------------


def _export(world, case, fields, **kwargs):
    return package_export(
        actor=world.case_manager,
        case=case,
        partner_id=PARTNER,
        fields=fields,
        purpose="shelter",
        **kwargs,
    )


def test_export_sends_only_the_chosen_consented_fields(deployment, partner, consented_case):
    sealed = _export(deployment, consented_case, ["given_name", "languages", "exploitation_type"])
    opened = partner.open(sealed.token)
    body = opened.payload
    assert body["given_name"] == "Olena" and body["languages"] == "uk, ru"
    assert body["exploitation_type"] == "labour"
    for absent in ("family_name", "date_of_birth", "gender", "contact", "documents"):
        assert absent not in body
    assert body["case_ref"] == consented_case.reference
    assert body["consent"]["method"] == "written"
    outgoing = OutgoingPackage.objects.get()
    assert outgoing.jti == opened.package_id and outgoing.status == "sent"
    assert outgoing.fields_sent == ["exploitation_type", "given_name", "languages"]
    entry = AuditEntry.objects.get(action="exchange.export")
    assert entry.detail["fields"] == outgoing.fields_sent
    assert "Olena" not in json.dumps(entry.detail)


def test_export_refuses_fields_outside_the_consent(deployment, partner, consented_case):
    with pytest.raises(Forbidden, match="family_name"):
        _export(deployment, consented_case, ["given_name", "family_name"])
    with pytest.raises(ValidationFailed):
        _export(deployment, consented_case, ["documents"])
    assert not OutgoingPackage.objects.exists()


def test_export_needs_a_valid_unwithdrawn_consent_to_that_partner(
    deployment, partner, consented_case
):
    from opennrm.cases.models import Consent

    Consent.objects.update(withdrawn_at=timezone.now())
    with pytest.raises(Forbidden, match="consent"):
        _export(deployment, consented_case, ["given_name"])
    Consent.objects.update(withdrawn_at=None, expires_on=timezone.now().date() - timedelta(days=1))
    with pytest.raises(Forbidden, match="consent"):
        _export(deployment, consented_case, ["given_name"])
    Consent.objects.update(expires_on=None, partner="md-nrm")
    with pytest.raises(Forbidden, match="consent"):
        _export(deployment, consented_case, ["given_name"])


def test_export_only_by_the_owning_agency_and_to_trusted_partners(
    deployment, partner, consented_case
):
    with pytest.raises(NotFound):  # another agency's case looks missing
        package_export(
            actor=deployment.officer,
            case=consented_case,
            partner_id=PARTNER,
            fields=["given_name"],
            purpose="shelter",
        )
    with pytest.raises(ValidationFailed):
        package_export(
            actor=deployment.case_manager,
            case=consented_case,
            partner_id="md-nrm",
            fields=["given_name"],
            purpose="shelter",
        )
    PartnerKey.objects.update(revoked_at=timezone.now())
    with pytest.raises(ValidationFailed):
        _export(deployment, consented_case, ["given_name"])


# --- import ---------------------------------------------------------------------------


def _counts():
    return (
        Case.objects.count(),
        Person.objects.count(),
        IncomingPackage.objects.count(),
        SeenPackage.objects.count(),
        OutgoingPackage.objects.filter(status="sent").count(),
    )


def test_import_creates_the_case_and_person_with_only_the_fields_received(deployment, partner):
    token = partner.seal(partner.referral())
    result = package_import(actor=deployment.case_manager, token=token)
    incoming = result.incoming
    case = incoming.case
    assert case.owning_agency == deployment.coordination
    assert case.exploitation_type == "labour"
    person = Person.objects.get(case=case)
    assert (person.given_name, person.family_name, str(person.date_of_birth)) == (
        "Olena",
        "K.",
        "1990-04-01",
    )
    assert person.gender == "" and person.documents == "" and person.contact == ""
    assert incoming.external_ref == "PL-2026-17" and incoming.partner_id == PARTNER
    assert incoming.note == "Needs a shelter bed near the border."
    assert str(incoming.response_due) == "2026-12-20"
    assert incoming.fields_received == [
        "date_of_birth",
        "exploitation_type",
        "family_name",
        "given_name",
        "note",
    ]
    assert AuditEntry.objects.filter(action="exchange.import", object_ref=case.reference).exists()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("replay", "replayed"),
        ("expired", "expired"),
        ("wrong_recipient", "wrong_recipient"),
        ("untrusted", "untrusted_sender"),
        ("revoked", "revoked_key"),
        ("altered", "undecryptable"),
        ("other_key", "undecryptable"),
    ],
)
def test_refused_packages_change_nothing_but_the_audit_log(deployment, partner, tamper, reason):
    now = timezone.now()
    token = partner.seal(partner.referral())
    if tamper == "replay":
        package_import(actor=deployment.case_manager, token=token)
    elif tamper == "expired":
        token = partner.seal(
            partner.referral(), now=now - timedelta(days=3), expires_at=now - timedelta(days=1)
        )
    elif tamper == "wrong_recipient":
        token = partner.seal(partner.referral(), recipient_id="md-nrm")
    elif tamper == "untrusted":
        token = Partner(PARTNER, generate_keys()).seal(partner.referral())
    elif tamper == "revoked":
        key_revoke(actor=None, kid=partner.keys.signing_kid)
    elif tamper == "altered":
        head, key, iv, ciphertext, tag = token.split(".")
        token = ".".join(
            [head, key, iv, ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:], tag]
        )
    elif tamper == "other_key":
        token = partner.seal(
            partner.referral(), recipient_public_key=generate_keys().public("x").encryption
        )
    before = _counts()
    with pytest.raises(PackageRefusedError) as caught:
        package_import(actor=deployment.case_manager, token=token)
    assert caught.value.reason == reason
    assert caught.value.message  # a translated sentence
    assert _counts() == before
    refusal = AuditEntry.objects.filter(action="exchange.refused").last()
    assert refusal.detail == {"reason": reason, "via": "import"}


def test_receipts_update_what_the_sender_sees(deployment, partner, consented_case):
    sealed = _export(deployment, consented_case, ["given_name"])
    jti = sealed.package.jti
    result = package_import(
        actor=deployment.case_manager, token=partner.seal(partner.receipt(jti), kind="receipt")
    )
    assert result.outgoing.status == "accepted"
    declined = partner.seal(partner.receipt(jti, "declined", "no beds"), kind="receipt")
    package_import(actor=deployment.case_manager, token=declined)
    outgoing = OutgoingPackage.objects.get(jti=jti)
    assert outgoing.status == "declined"
    assert [r["status"] for r in outgoing.receipts] == ["accepted", "declined"]
    assert outgoing.receipts[1]["reason"] == "no beds"


def test_a_receipt_for_a_package_we_never_sent_is_refused(deployment, partner):
    token = partner.seal(partner.receipt("not-ours"), kind="receipt")
    with pytest.raises(PackageRefusedError) as caught:
        package_import(actor=deployment.case_manager, token=token)
    assert caught.value.reason == "unknown_package"
    assert not SeenPackage.objects.exists()


def test_receipt_send_answers_the_partner(deployment, partner):
    incoming = package_import(
        actor=deployment.case_manager, token=partner.seal(partner.referral())
    ).incoming
    with pytest.raises(ValidationFailed):
        receipt_send(actor=deployment.case_manager, incoming=incoming, status="declined")
    with pytest.raises(NotFound):
        receipt_send(actor=deployment.officer, incoming=incoming, status="accepted")
    sealed = receipt_send(actor=deployment.case_manager, incoming=incoming, status="accepted")
    opened = partner.open(sealed.token)
    assert opened.kind == "receipt"
    assert opened.payload["package_id"] == incoming.jti and opened.payload["status"] == "accepted"
    incoming.refresh_from_db()
    assert incoming.status == "accepted"


# --- the referral on the receiving side ------------------------------------------------


def test_import_creates_a_referral_waiting_for_the_importing_agency(deployment, partner):
    from opennrm.referrals.models import Referral

    incoming = package_import(
        actor=deployment.case_manager, token=partner.seal(partner.referral())
    ).incoming
    referral = Referral.objects.get()
    assert incoming.referral == referral and referral.case == incoming.case
    assert referral.status == "sent" and referral.receiving_agency == deployment.coordination
    assert referral.external_ref == "PL-2026-17" and referral.purpose == "shelter"
    assert referral.note == "Needs a shelter bed near the border."
    assert referral.response_due.date().isoformat() == "2026-12-20"


def test_a_status_change_of_the_referral_sends_a_receipt(
    deployment, partner, django_capture_on_commit_callbacks
):
    from opennrm.referrals.services import referral_transition

    incoming = package_import(
        actor=deployment.case_manager, token=partner.seal(partner.referral())
    ).incoming
    referral = incoming.referral
    with django_capture_on_commit_callbacks(execute=True):
        referral_transition(
            actor=deployment.case_manager,
            referral=referral,
            action="decline",
            expected_version=referral.version,
            reason="No free bed this month.",
        )
    incoming.refresh_from_db()
    assert incoming.status == "declined"
    assert [r["status"] for r in incoming.receipts] == ["declined"]
    entry = AuditEntry.objects.get(action="exchange.receipt_send")
    assert entry.username == "system" and entry.detail["status"] == "declined"


def test_answering_from_the_command_line_moves_the_referral_and_sends_one_receipt(
    deployment, partner, django_capture_on_commit_callbacks
):
    from opennrm.exchange.services import receipt_answer

    incoming = package_import(
        actor=deployment.case_manager, token=partner.seal(partner.referral())
    ).incoming
    with django_capture_on_commit_callbacks(execute=True):
        sealed = receipt_answer(actor=deployment.case_manager, incoming=incoming, status="accepted")
    incoming.referral.refresh_from_db()
    assert incoming.referral.status == "accepted"
    assert partner.open(sealed.token).payload["status"] == "accepted"
    assert AuditEntry.objects.filter(action="exchange.receipt_send").count() == 1


def test_a_late_receipt_does_not_turn_the_status_back(deployment, partner, consented_case):
    jti = _export(deployment, consented_case, ["given_name"]).package.jti
    now = timezone.now()
    later = receipt_payload(package_id=jti, status="completed", at=now)
    earlier = receipt_payload(package_id=jti, status="accepted", at=now - timedelta(hours=1))
    for body in (later, earlier):
        package_import(actor=deployment.case_manager, token=partner.seal(body, kind="receipt"))
    outgoing = OutgoingPackage.objects.get(jti=jti)
    assert outgoing.status == "completed"
    assert [r["status"] for r in outgoing.receipts] == ["completed", "accepted"]
