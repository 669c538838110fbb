"""An htmx request sent to sign in gets 401 (httpguard/signin.py), so the page keeps the
form and says why, instead of swapping the sign-in page over what was typed."""

from __future__ import annotations

import pytest
from django.test import Client

from opennrm.screenings import services as screening_services


def screening_of(world):
    return screening_services.screening_start(
        actor=world.inspector, set_id="adult_labour", age=31, interviewee_language="uk"
    )


@pytest.mark.django_db
def test_without_a_session_htmx_gets_401_and_a_page_request_the_sign_in_redirect(world):
    url = f"/screenings/{screening_of(world).public_id}/q/0/"
    client = Client()
    page = client.get(url)
    assert page.status_code == 302 and "/login" in page["Location"]
    htmx = client.post(url, {"go": "next"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.content == b""
    assert htmx["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_user_who_owes_the_second_factor_gets_401_on_htmx(world, settings):
    settings.OPENNRM_REQUIRE_2FA = True  # (the fixture shadows the module's settings here)
    url = f"/screenings/{screening_of(world).public_id}/q/0/"
    client = Client()
    client.force_login(world.inspector)  # signed in, second factor not given
    assert client.get(url).status_code == 302
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 401


@pytest.mark.django_db
def test_other_redirects_of_htmx_requests_are_left_alone(world):
    from tests.conftest import verified_client

    screening = screening_of(world)
    client = verified_client(world.inspector)
    answer = client.post(
        f"/screenings/{screening.public_id}/q/0/", {"go": "next"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code != 401  # the step's own answer, whatever it is
    assert "/login" not in answer.get("Location", "")
