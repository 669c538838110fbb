"""Pages enforce the same rules as the API: sign-in, second factor, role, need-to-know."""

import pytest
from django.test import Client

from opennrm.audit.models import AuditEntry
from opennrm.core.errors import ValidationFailed
from tests.cases.helpers import consent_to, open_case, referred_case
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/cases/", "/cases/new/", "/audit/", "/cases/C-ANY/"])
def test_anonymous_users_are_sent_to_sign_in(path):
    r = Client().get(path)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_every_page_waits_for_the_second_factor(world):
    case = open_case(world.officer)
    client = Client()
    client.force_login(world.officer)
    for path in ["/", "/cases/", f"/cases/{case.reference}/", f"/cases/{case.reference}/person/"]:
        r = client.get(path)
        assert r.status_code == 302 and r["Location"] == "/2fa/", path
    assert client.get("/2fa/").status_code == 302  # no device yet: setup first
    assert client.get("/2fa/setup/").status_code == 200


def test_hidden_case_page_is_a_plain_not_found(world):
    case = open_case(world.officer)
    client = verified_client(world.border_guard)
    hidden = client.get(f"/cases/{case.reference}/")
    missing = client.get("/cases/C-MISSING0/")
    assert hidden.status_code == missing.status_code == 404

    def message(response):
        html = response.content.decode()
        return html[
            html.index('<p class="error"') : html.index("</p>", html.index('<p class="error"'))
        ]

    assert message(hidden) == message(missing)


def test_analyst_sees_aggregates_only(world):
    for _ in range(6):
        open_case(world.officer)
    client = verified_client(world.analyst)
    r = client.get("/")
    assert r.status_code == 200
    assert "Cases by state" in r.content.decode()
    assert client.get("/cases/").status_code == 403


def test_small_counts_are_suppressed(world):
    open_case(world.officer)
    client = Client()
    client.force_login(world.analyst)  # analysts see no personal data: no second factor needed
    html = client.get("/").content.decode()
    assert "&lt;5" in html


def test_auditor_only_on_audit_page(world):
    assert verified_client(world.officer).get("/audit/").status_code == 403
    r = verified_client(world.auditor).post("/audit/", {"verify": "1"})
    assert r.status_code == 200 and "Chain intact" in r.content.decode()


def test_person_page_read_is_audited(world):
    case = open_case(world.officer)
    client = verified_client(world.officer)
    r = client.post(f"/cases/{case.reference}/person/", {"given_name": "Ірина", "family_name": "K"})
    assert r.status_code == 302
    before = AuditEntry.objects.filter(action="person.view").count()
    html = client.get(f"/cases/{case.reference}/person/").content.decode()
    assert "Ірина" in html
    assert AuditEntry.objects.filter(action="person.view").count() == before + 1


def test_service_provider_may_read_but_not_edit_person(world):
    from datetime import timedelta

    from django.utils import timezone

    from opennrm.cases.services import grant_create, person_save
    from tests.factories import UserFactory

    manager = UserFactory(agency=world.police, role="case_manager")
    case = open_case(manager)
    person_save(actor=manager, case=case, expected_version=None, data={"given_name": "Anna"})
    consent_to(case, manager, world.ngo, purpose="shelter")
    grant_create(
        actor=manager,
        case=case,
        agency=world.ngo,
        purpose="shelter",
        expires_at=timezone.now() + timedelta(days=3),
    )
    client = verified_client(world.ngo_worker)
    assert "Anna" in client.get(f"/cases/{case.reference}/person/").content.decode()
    r = client.post(f"/cases/{case.reference}/person/", {"given_name": "Changed", "version": 1})
    assert r.status_code == 403


def test_stale_transition_form_shows_conflict_and_changes_nothing(world):
    case = referred_case(world)
    client = verified_client(world.coordinator)
    stale_version = case.version - 1
    r = client.post(
        f"/cases/{case.reference}/transition/",
        {"transition": "decide_reasonable_grounds", "version": stale_version, "reason": "x"},
        follow=True,
    )
    assert "changed by someone else" in r.content.decode()
    case.refresh_from_db()
    assert case.state == "referred"


def test_buttons_show_only_allowed_steps(world):
    case = referred_case(world)
    officer_html = verified_client(world.officer).get(f"/cases/{case.reference}/").content.decode()
    coordinator_html = (
        verified_client(world.coordinator).get(f"/cases/{case.reference}/").content.decode()
    )
    assert "Reasonable grounds: presumed victim" not in officer_html
    assert "Reasonable grounds: presumed victim" in coordinator_html


def test_forms_need_csrf(world):
    case = open_case(world.officer)
    client = verified_client(world.officer)
    client.handler.enforce_csrf_checks = True
    r = client.post(f"/cases/{case.reference}/transition/", {"transition": "screen", "version": 1})
    assert r.status_code == 403


def test_hostile_text_is_escaped(world):
    case = open_case(
        world.officer, summary='<script>alert("x")</script><img src=x onerror=alert(1)>'
    )
    html = verified_client(world.officer).get(f"/cases/{case.reference}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<img src=x" not in html


def test_non_punishment_flag_is_visible(world):
    case = open_case(
        world.officer, forced_criminality=True, forced_criminality_note="Forced to steal"
    )
    html = verified_client(world.officer).get(f"/cases/{case.reference}/").content.decode()
    assert 'id="non-punishment"' in html and "Forced to steal" in html


def test_oversized_form_is_refused(world, settings):
    client = verified_client(world.officer)
    r = client.post("/cases/new/", {"summary": "x" * 1_100_000})
    assert r.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_api_token_page_shows_secret_once_and_it_works(world, live_server):
    import httpx

    client = verified_client(world.officer)
    r = client.post("/account/tokens/", {"name": "laptop script", "days": 7, "scope": "read"})
    html = r.content.decode()
    token = html.split('id="new-token"')[1].split("<code")[1].split(">")[1].split("<")[0]
    assert token.startswith("onrm_")
    assert token not in client.get("/account/tokens/").content.decode()  # shown once
    api = httpx.get(live_server.url + "/api/cases", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    from opennrm.accounts.models import ApiToken

    client.post("/account/tokens/", {"revoke": ApiToken.objects.get().pk})
    api = httpx.get(live_server.url + "/api/cases", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_csv_export_shows_non_punishment_flag_and_defuses_formulas(world):
    open_case(
        world.officer,
        region='=HYPERLINK("http://evil")',
        forced_criminality=True,
        forced_criminality_note="Forced to sell drugs",
    )
    client = verified_client(world.officer)
    r = client.get("/cases/export.csv")
    body = b"".join(r.streaming_content).decode()
    header, row = body.splitlines()[:2]
    assert "forced_criminality" in header and "True" in row and "Forced to sell drugs" in row
    assert "'=HYPERLINK" in row
    assert AuditEntry.objects.filter(action="case.export").exists()
    assert verified_client(world.border_guard).get("/cases/export.csv").status_code == 200
    other = b"".join(
        verified_client(world.border_guard).get("/cases/export.csv").streaming_content
    ).decode()
    assert len(other.splitlines()) == 1  # header only: need-to-know applies to exports too


def test_sign_in_is_throttled_and_audited(world):
    client = Client()
    for _ in range(4):
        r = client.post("/login/", {"username": "officer", "password": "wrong-password"})
        assert r.status_code == 200
    client.post("/login/", {"username": "officer", "password": "wrong-password"})  # the 5th locks
    r = client.post("/login/", {"username": "officer", "password": "correct-horse-battery-staple"})
    assert r.status_code == 429 and "Sign-in paused" in r.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_failed", object_ref="officer").count() >= 5
    other = Client().post(
        "/login/", {"username": "inspector", "password": "correct-horse-battery-staple"}
    )
    assert other.status_code == 302  # only that user name from that address is paused
    assert AuditEntry.objects.filter(action="auth.login", username="inspector").exists()


def test_admin_changes_are_audited(world):
    from tests.factories import UserFactory

    admin = UserFactory(
        username="root", agency=None, role="admin", is_staff=True, is_superuser=True
    )
    client = verified_client(admin)
    r = client.post(
        f"/admin/accounts/agency/{world.ngo.pk}/change/",
        {"name": "Safe Harbour NGO", "type": "ngo", "country": "UA", "region": "Lviv"},
    )
    assert r.status_code == 302
    entry = AuditEntry.objects.get(action="admin.change", object_type="agency")
    assert entry.username == "root" and entry.detail["fields"] == ["name"]


def test_referral_only_by_the_owning_agency(world):
    from datetime import timedelta

    from django.utils import timezone

    from opennrm.cases.services import grant_create
    from opennrm.core.errors import Forbidden
    from tests.cases.helpers import step
    from tests.factories import UserFactory

    manager = UserFactory(agency=world.police, role="case_manager")
    case = open_case(manager)
    step(case, manager, "screen", outcome="possible_victim")
    grant_create(  # supervision needs no consent: it shows case facts, no personal data
        actor=manager,
        case=case,
        agency=world.coordination,
        purpose="supervision",
        expires_at=timezone.now() + timedelta(days=3),
    )
    with pytest.raises(Forbidden, match="does not include"):
        step(case, world.coordinator, "refer", to=world.ngo, consent=False)
    with pytest.raises(ValidationFailed):
        step(case, manager, "lose_contact", to=world.ngo)  # only the referral step names an agency


def test_language_choice_is_remembered_at_next_sign_in(world):
    client = verified_client(world.officer)
    client.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    world.officer.refresh_from_db()
    assert world.officer.preferred_language == "uk"
    fresh = Client()
    r = fresh.post("/login/", {"username": "officer", "password": "correct-horse-battery-staple"})
    assert r.status_code == 302 and r.cookies["django_language"].value == "uk"


def test_read_only_person_view_shows_words_not_codes(world):
    from datetime import timedelta

    from django.utils import timezone

    from opennrm.cases.services import grant_create, person_save
    from tests.factories import UserFactory

    manager = UserFactory(agency=world.police, role="case_manager")
    case = open_case(manager)
    person_save(
        actor=manager,
        case=case,
        expected_version=None,
        data={"given_name": "Anna", "gender": "female", "age_band": "25-34"},
    )
    consent_to(case, manager, world.ngo, purpose="shelter")
    grant_create(
        actor=manager,
        case=case,
        agency=world.ngo,
        purpose="shelter",
        expires_at=timezone.now() + timedelta(days=3),
    )
    client = verified_client(world.ngo_worker)
    html = client.get(
        f"/cases/{case.reference}/person/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert '<dd class="pre">Female</dd>' in html and ">female<" not in html


def test_case_page_names_the_screening_outcome_and_situation_in_words(world):
    from opennrm.screenings.services import screening_record
    from tests.screenings.helpers import presumed_adult_labour

    case = open_case(world.officer)
    screening_record(
        actor=world.officer,
        set_id="adult_labour",
        age=40,
        answers=presumed_adult_labour(),
        case=case,
    )
    client = verified_client(world.officer)
    client.cookies["django_language"] = "uk"
    html = client.get(f"/cases/{case.reference}/").content.decode()
    summary = html.split('id="screenings"', 1)[1].split("</summary>", 1)[0]
    assert "presumed_victim" not in summary and "adult_labour" not in summary
    assert "Особа, яка ймовірно постраждала" in summary, summary


def test_case_page_explains_a_screening_in_plain_words_with_the_formal_rule_one_click_away(world):
    from django.utils.html import escape

    from opennrm.screenings.plain import explain
    from opennrm.screenings.services import screening_record
    from tests.screenings.helpers import presumed_adult_labour

    case = open_case(world.officer)
    screening = screening_record(
        actor=world.officer,
        set_id="adult_labour",
        age=40,
        answers=presumed_adult_labour(),
        case=case,
    )
    client = verified_client(world.officer)
    client.cookies["django_language"] = "uk"
    html = client.get(f"/cases/{case.reference}/").content.decode()
    section = html.split('id="screenings"', 1)[1].split("</section>", 1)[0]
    plain = explain(screening.result, "uk")
    assert plain.summary and escape(plain.summary) in section
    assert escape(plain.rule) in section
    formal = section.split('<details class="formal">', 1)[1]
    assert "Формальне правило, крок за кроком" in formal, formal[:300]
    assert '<ul class="explanation-formal"><li>' in formal


def test_timeline_reads_in_the_readers_language_whoever_wrote_it(world):
    """An edit's field names and a consent's kind are stored as codes and shown as words in
    the reader's language (an entry written on an English page reads in Ukrainian)."""
    from django.utils import translation

    from opennrm.cases.models import Case, CaseEvent, ConsentKind
    from opennrm.cases.services import case_update

    case = open_case(world.officer, summary="first")
    with translation.override("en"):
        case_update(
            actor=world.officer,
            case=case,
            expected_version=case.version,
            changes={"summary": "second"},
        )
        consent_to(case, world.officer, world.ngo)
    assert CaseEvent.objects.get(case=case, kind="updated").reason == "summary"
    assert CaseEvent.objects.get(case=case, kind="consent_given").reason == "sharing"
    client = verified_client(world.officer)
    client.cookies["django_language"] = "uk"
    html = client.get(f"/cases/{case.reference}/").content.decode()
    timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    with translation.override("uk"):
        summary_word = str(Case._meta.get_field("summary").verbose_name)
        sharing_word = str(ConsentKind.SHARING.label)
    assert summary_word != "case summary (no identifying details)"
    assert f'<div class="pre">{summary_word}</div>' in timeline, timeline
    assert f'<div class="pre">{sharing_word}</div>' in timeline, timeline
    assert ">summary<" not in timeline and ">sharing<" not in timeline
