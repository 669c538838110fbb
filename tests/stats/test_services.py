from __future__ import annotations

import csv
import io
import random
from datetime import date

import pytest

from opennrm.audit.models import AuditEntry
from opennrm.core.errors import ValidationFailed
from opennrm.privacy import is_k_anonymous
from opennrm.stats import services
from opennrm.stats.models import PrivacySpend
from opennrm.stats.reports import scope_for, year_scope
from opennrm.stats.selectors import Scope
from tests.stats.factories import make_population

pytestmark = pytest.mark.django_db

YEAR = Scope(country="UA", start=date(2025, 1, 1), end=date(2025, 12, 31))


@pytest.fixture
def population(world):
    make_population(world, 400)
    return world


def test_budget_refuses_overspend_and_writes_nothing(world, settings):
    settings.OPENNRM_STATS_EPSILON_PER_YEAR = 1.0
    services.privacy_budget_charge(
        actor=world.analyst, country="UA", years=[2025], epsilon=0.75, kind="tables"
    )
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as err:
        services.privacy_budget_charge(
            actor=world.analyst, country="UA", years=[2024, 2025], epsilon=0.5, kind="synthetic"
        )
    assert err.value.field == "epsilon" and "0.25" in err.value.message
    # refused as a whole: not even the 2024 budget, which had room, was charged
    assert list(PrivacySpend.objects.values_list("budget__year", "epsilon")) == [(2025, 0.75)]
    assert AuditEntry.objects.count() == audits
    assert services.privacy_budget_left("UA", 2025) == pytest.approx(0.25)
    assert services.privacy_budget_left("UA", 2024) == pytest.approx(1.0)


def test_synthetic_export_charges_and_states_epsilon(population, settings):
    settings.OPENNRM_STATS_EPSILON_PER_YEAR = 1.5
    release = services.stats_synthetic_export(
        actor=population.analyst, scope=YEAR, epsilon=1.0, rows=300, rng=random.Random(1)
    )
    rows = list(csv.DictReader(io.StringIO(release.content.decode())))
    assert len(rows) == 300
    assert release.data.epsilon == 1.0
    assert [m.width for m in release.utility] == [1, 2, 3]
    assert services.privacy_budget_left("UA", 2025) == pytest.approx(0.5)
    with pytest.raises(ValidationFailed):
        services.stats_synthetic_export(
            actor=population.analyst, scope=YEAR, epsilon=1.0, rows=300, rng=random.Random(1)
        )
    assert PrivacySpend.objects.count() == 1


QI = [
    "yearOfRegistration",
    "gender",
    "majorityStatus",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "regionOfExploitation",
]


def test_htcds_export_file_is_k_anonymous(population):
    release = services.stats_htcds_export(actor=population.analyst, scope=YEAR, k=11)
    rows = list(csv.DictReader(io.StringIO(release.content.decode())))
    assert rows and len(rows) == release.report.records_out
    assert is_k_anonymous(rows, QI, 11)
    assert release.report.records_in == 400
    # no identity and no exact dates or ages ever leave
    assert "reference" not in rows[0] and "date_of_birth" not in rows[0]
    assert all(
        r["ageBroad"] in {"", "Adult", "Minor"} or "--" in r["ageBroad"] or r["ageBroad"] == "48+"
        for r in rows
    )


def test_htcds_export_with_l_diversity(population):
    release = services.stats_htcds_export(actor=population.analyst, scope=YEAR, k=5, l_diversity=2)
    rows = list(csv.DictReader(io.StringIO(release.content.decode())))
    kinds = {}
    for r in rows:
        key = tuple(r[q] for q in QI)
        kind = tuple(
            r[c]
            for c in ("isForcedLabour", "isSexualExploit", "isOtherExploit", "isForcedCriminality")
        )
        kinds.setdefault(key, set()).add(kind)
    assert all(len(v) >= 2 for v in kinds.values())


def test_htcds_k_too_large_and_empty_period(population):
    with pytest.raises(ValidationFailed) as err:
        services.stats_htcds_export(actor=population.analyst, scope=YEAR, k=1000)
    assert err.value.field == "k"
    empty = Scope(country="UA", start=date(2020, 1, 1), end=date(2020, 12, 31))
    with pytest.raises(ValidationFailed) as err:
        services.stats_htcds_export(actor=population.analyst, scope=empty, k=11)
    assert "No cases" in err.value.message


def test_tables_release_suppression_and_dp(population):
    release = services.stats_tables_release(actor=population.analyst, scope=YEAR)
    assert "tables.xlsx" in release.files and release.files["tables.xlsx"][:2] == b"PK"
    for table in release.tables:
        for row in table.cells:
            assert all(v is None or v == 0 or v >= table.threshold for v in row)
        assert "Small-cell suppression" in table.method
    dp = services.stats_tables_release(
        actor=population.analyst, scope=YEAR, epsilon=0.2, noise=lambda c, s: list(c)
    )
    assert all(t.epsilon == 0.2 and "epsilon 0.2" in t.method for t in dp.tables)
    assert not any(t.spec_key == "uk_nationality_by_age" for t in dp.tables)  # data-dependent rows
    spent = sum(PrivacySpend.objects.values_list("epsilon", flat=True))
    assert spent == pytest.approx(0.2 * len(dp.tables))


def test_scope_rejects_impossible_filters(world):
    with pytest.raises(ValidationFailed) as err:
        scope_for(world.analyst, start=date(2025, 5, 1), end=date(2025, 4, 1))
    assert err.value.field == "start"
    with pytest.raises(ValidationFailed) as err:
        scope_for(world.analyst, start=None, end=None, region="Atlantis")
    assert err.value.field == "region"
    with pytest.raises(ValidationFailed):
        year_scope("UA", 2999)


def test_annual_report_pdf(population):
    pdf = services.stats_annual_report(
        actor=population.analyst, scope=YEAR, year=2025, language="uk"
    )
    assert pdf.startswith(b"%PDF")
    with pytest.raises(ValidationFailed):
        services.stats_annual_report(actor=population.analyst, scope=YEAR, year=2025, language="xx")


def test_published_tables_withstand_the_lp_attack(world):
    """Small populations make many small cells: the attacker of tests/privacy still
    cannot narrow any hidden count of any published table below the protection level."""
    from opennrm.privacy import SuppressedTable
    from tests.privacy.test_suppression import attack

    make_population(world, 60, seed=11)
    release = services.stats_tables_release(actor=world.analyst, scope=YEAR)
    hidden_somewhere = False
    for t in release.tables:
        published = SuppressedTable(
            row_labels=tuple(c for c, _l in t.rows),
            col_labels=tuple(c for c, _l in t.cols),
            cells=tuple(tuple(r) for r in t.cells),
            row_totals=tuple(t.row_totals),
            col_totals=tuple(t.col_totals),
            total=t.total,
            threshold=t.threshold or 5,
            protection=t.threshold or 5,
        )
        for lo, hi in attack(published).values():
            hidden_somewhere = True
            assert hi - lo >= t.threshold
    assert hidden_somewhere
