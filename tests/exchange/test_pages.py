"""The transnational page: waiting packages import with one button; answers are shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opennrm.cases.models import Case
from opennrm.exchange.models import InboxItem
from opennrm.exchange.services import package_export, package_import, package_receive
from tests.conftest import verified_client
from tests.exchange.conftest import PARTNER

pytestmark = pytest.mark.django_db


def test_a_waiting_referral_is_imported_from_the_page(deployment, partner):
    package_receive(token=partner.seal(partner.referral()))
    client = verified_client(deployment.case_manager)
    page = client.get("/exchange/", HTTP_ACCEPT_LANGUAGE="uk")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Krajowe Centrum (PL)" in text and "Імпортувати" in text
    assert "Olena" not in text  # nothing personal before import
    jti = InboxItem.objects.get().jti
    response = client.post("/exchange/", {"package": jti})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.reference}/"
    assert "Nothing is waiting." in client.get("/exchange/").content.decode()


def test_a_refused_import_says_why_and_imports_nothing(deployment, partner):
    package_receive(token=partner.seal(partner.referral()))
    InboxItem.objects.update(token="x")  # damaged at rest
    client = verified_client(deployment.case_manager)
    response = client.post("/exchange/", {"package": InboxItem.objects.get().jti}, follow=True)
    assert "cannot be decrypted" in response.content.decode()
    assert not Case.objects.exists()


def test_the_sender_sees_the_answer(deployment, partner, consented_case):
    sealed = package_export(
        actor=deployment.case_manager,
        case=consented_case,
        partner_id=PARTNER,
        fields=["given_name"],
        purpose="shelter",
    )
    body = partner.receipt(sealed.package.jti, "declined", "No bed free until January.")
    package_import(actor=deployment.case_manager, token=partner.seal(body, kind="receipt"))
    text = verified_client(deployment.coordinator).get("/exchange/").content.decode()
    assert consented_case.reference in text and "Declined" in text
    assert "No bed free until January." in text


def test_only_case_managers_and_coordinators_see_the_page(deployment, partner):
    package_receive(
        token=partner.seal(partner.referral(), expires_at=timezone.now() + timedelta(days=1))
    )
    assert verified_client(deployment.ngo_worker).get("/exchange/").status_code == 403
    assert (
        verified_client(deployment.officer)
        .post("/exchange/", {"package": InboxItem.objects.get().jti})
        .status_code
        == 403
    )
    assert not Case.objects.exists()
