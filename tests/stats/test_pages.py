from __future__ import annotations

import csv
import io
import re

import pytest

from opennrm.privacy import is_k_anonymous
from opennrm.stats.models import PrivacySpend
from tests.conftest import verified_client
from tests.stats.factories import make_population
from tests.stats.test_services import QI

pytestmark = pytest.mark.django_db

PERIOD = "start=2025-01-01&end=2025-12-31"


@pytest.fixture
def population(world):
    make_population(world, 300)
    return world


@pytest.mark.parametrize("persona", ["analyst", "coordinator", "case_manager"])
def test_statistics_roles_see_protected_charts(population, persona):
    client = verified_client(getattr(population, persona))
    response = client.get(f"/stats/?{PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="card chart"') == 11  # no referrals here: two say so
    assert html.count("<svg") == 9
    assert html.count("Small-cell suppression") >= 11  # every chart says how
    # no count from 1 to 4 is ever shown
    shown = re.findall(
        r'<text x="[\d.]+" y="[\d.]+" font-size="11" fill="#222">(\d[\d\s,.]*)</text>', html
    )
    assert len(shown) > 20
    for text in shown:
        n = int(re.sub(r"\D", "", text))
        assert n == 0 or n >= 5


@pytest.mark.parametrize("persona", ["officer", "ngo_worker", "auditor", "inspector"])
def test_other_roles_are_refused(population, persona):
    client = verified_client(getattr(population, persona))
    assert client.get("/stats/").status_code == 403
    response = client.get(f"/stats/export/htcds.csv?{PERIOD}&k=11&l_diversity=1")
    assert response.status_code == 302 and "text/csv" not in response.get("Content-Type", "")


def test_analyst_htcds_download_is_k_anonymous(population):
    client = verified_client(population.analyst)
    response = client.get(f"/stats/export/htcds.csv?{PERIOD}&k=11&l_diversity=1")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and is_k_anonymous(rows, QI, 11)


def test_bad_input_gives_a_message_not_an_error_page(population):
    client = verified_client(population.analyst)
    response = client.get("/stats/?start=2025-05-01&end=2025-01-01")
    assert response.status_code == 200
    assert "The period starts after it ends." in response.content.decode()
    response = client.get("/stats/?start=not-a-date")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    response = client.get(f"/stats/export/htcds.csv?{PERIOD}&k=999&l_diversity=1", follow=True)
    assert response.status_code == 200
    assert "k = 999 is larger" in response.content.decode()
    response = client.get("/stats/?start=2019-01-01&end=2019-12-31")
    assert "No cases were registered in this period." in response.content.decode()


def test_synthetic_over_budget_is_refused_with_a_message(population, settings):
    settings.OPENNRM_STATS_EPSILON_PER_YEAR = 1.0
    client = verified_client(population.analyst)
    ok = client.post(f"/stats/export/synthetic.csv?{PERIOD}", {"epsilon": "0.8", "rows": "50"})
    assert ok.status_code == 200 and ok["Content-Type"].startswith("text/csv")
    refused = client.post(
        f"/stats/export/synthetic.csv?{PERIOD}", {"epsilon": "0.8", "rows": "50"}, follow=True
    )
    assert refused.status_code == 200
    assert "privacy budget" in refused.content.decode()
    assert PrivacySpend.objects.count() == 1


def test_downloads(population):
    client = verified_client(population.analyst)
    xlsx = client.get(f"/stats/tables.xlsx?{PERIOD}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get("/stats/report.pdf?year=2025&lang=ru")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_svg_numbers_are_locale_independent(population):
    client = verified_client(population.analyst)
    client.cookies["django_language"] = "uk"
    html = client.get(f"/stats/?{PERIOD}").content.decode()
    for attr in re.findall(r'(?:width|x|y|viewBox)="([^"]*)"', html):
        assert "," not in attr


def test_dashboard_is_cached_per_period_and_language(population):
    client = verified_client(population.analyst)
    first = client.get(f"/stats/?{PERIOD}").content.decode()
    from tests.stats.factories import make_population as more

    more(population, 50, seed=99)
    assert (
        client.get(f"/stats/?{PERIOD}").content.decode().count("300 cases")
        == first.count("300 cases")
        == 1
    )
    client.cookies["django_language"] = "ru"
    assert "Статистика" in client.get(f"/stats/?{PERIOD}").content.decode()
