"""The transnational page in Chromium at 360 px: no sideways scrolling, import in one tap."""

from __future__ import annotations

import pytest

from opennrm.cases.models import Case
from opennrm.exchange.services import package_receive
from tests.conftest import verified_client
from tests.exchange.conftest import deployment, partner  # noqa: F401 - the exchange's fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_from_the_page_on_a_phone(page, live_server, deployment, partner, artifacts):  # noqa: F811
    package_receive(token=partner.seal(partner.referral()))
    session = verified_client(deployment.case_manager).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/exchange/")
    assert page.locator("#waiting li").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "exchange-page-360.png"), full_page=True)
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/cases/C-*/")
    case = Case.objects.get()
    assert case.reference in page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.dialogs == []
