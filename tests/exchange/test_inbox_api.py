"""POST /api/exchange/inbox over real HTTP: referrals wait for import, receipts apply at once,
refusals answer 422 with the reason and store nothing."""

from __future__ import annotations

import httpx
import pytest

from opennrm.exchange.models import InboxItem, OutgoingPackage, SeenPackage
from opennrm.exchange.services import inbox_import, package_export
from opennrm.transnational import MAX_PACKAGE_BYTES, generate_keys
from tests.exchange.conftest import PARTNER, Partner

pytestmark = pytest.mark.django_db(transaction=True)


def _post(live_server, body, **headers) -> httpx.Response:
    return httpx.post(
        live_server.url + "/api/exchange/inbox",
        content=body,
        headers={"Content-Type": "application/jose", **headers},
        timeout=30,
    )


def test_a_pushed_referral_waits_in_the_inbox_then_imports_once(live_server, deployment, partner):
    token = partner.seal(partner.referral())
    response = _post(live_server, token)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "received", "kind": "referral"}
    item = InboxItem.objects.get()
    assert item.sender_id == PARTNER and item.imported_at is None
    again = _post(live_server, token)
    assert again.status_code == 422 and again.json()["reason"] == "replayed"
    result = inbox_import(actor=deployment.case_manager, jti=item.jti)
    assert result.incoming.case.person.given_name == "Olena"
    item.refresh_from_db()
    assert item.imported_at is not None
    assert _post(live_server, token).json()["reason"] == "replayed"


def test_a_pushed_receipt_applies_at_once(live_server, deployment, partner, consented_case):
    sealed = package_export(
        actor=deployment.case_manager,
        case=consented_case,
        partner_id=PARTNER,
        fields=["given_name"],
        purpose="shelter",
    )
    receipt = partner.seal(partner.receipt(sealed.package.jti, "completed"), kind="receipt")
    response = _post(live_server, receipt)
    assert response.status_code == 202 and response.json()["kind"] == "receipt"
    assert OutgoingPackage.objects.get().status == "completed"


@pytest.mark.parametrize("case", ["garbage", "untrusted", "too_large", "empty"])
def test_refusals_over_http_store_nothing(live_server, deployment, partner, case):
    if case == "garbage":
        body, status, reason = b"not.a.package", 422, "undecryptable"
    elif case == "untrusted":
        body = Partner(PARTNER, generate_keys()).seal(partner.referral()).encode()
        status, reason = 422, "untrusted_sender"
    elif case == "too_large":
        body, status, reason = b"a" * (MAX_PACKAGE_BYTES + 1), 413, "too_large"
    else:
        body, status, reason = b"", 422, "undecryptable"
    response = _post(live_server, body)
    assert response.status_code == status
    assert response.json()["reason"] == reason
    assert response.json()["message"]
    assert not InboxItem.objects.exists() and not SeenPackage.objects.exists()


def test_the_sender_sees_the_answers_on_the_case(
    api, live_server, deployment, partner, consented_case
):
    sealed = package_export(
        actor=deployment.case_manager,
        case=consented_case,
        partner_id=PARTNER,
        fields=["given_name", "gender"],
        purpose="shelter",
    )
    receipt = partner.seal(
        partner.receipt(sealed.package.jti, "declined", "no bed"), kind="receipt"
    )
    assert _post(live_server, receipt).status_code == 202
    url = f"/exchange/cases/{consented_case.reference}/outgoing"
    body = api(deployment.case_manager).get(url, headers={"Accept-Language": "uk"}).json()
    assert len(body) == 1
    assert body[0]["status"] == "declined" and body[0]["status_label"] == "Відхилено"
    assert body[0]["fields_sent"] == ["gender", "given_name"]
    assert [r["status"] for r in body[0]["receipts"]] == ["declined"]
    assert body[0]["receipts"][0]["reason"] == "no bed"  # outcome feedback to the referrer
    hidden = api(deployment.officer).get(url)
    assert hidden.status_code == 404
