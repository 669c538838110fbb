"""File formats: CSV and XLSX tables, the HTCDS/CTDC record-level data set, the
synthetic data set and the annual report PDF. Each returns bytes; writing them
(atomically) is the caller's job."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from opennrm.privacy import (
    AnonymisedData,
    QuasiIdentifier,
    SyntheticData,
    anonymise,
    ctdc_age_band,
    synthesise,
)
from opennrm.stats.selectors import CaseFact
from opennrm.stats.tables import ProtectedTable

SUPPRESSED = "[c]"  # the UK statistics convention for a confidential (suppressed) cell


def _cell(value: int | None) -> str | int:
    return SUPPRESSED if value is None else value


def table_rows(table: ProtectedTable) -> list[list[Any]]:
    rows: list[list[Any]] = [[table.row_title, *(label for _c, label in table.cols), _("Total")]]
    for (_code, label), cells, total in zip(table.rows, table.cells, table.row_totals, strict=True):
        rows.append([label, *(_cell(v) for v in cells), _cell(total)])
    rows.append([_("Total"), *(_cell(v) for v in table.col_totals), _cell(table.total)])
    return rows


def table_csv(table: ProtectedTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([table.title])
    writer.writerows(table_rows(table))
    writer.writerow([])
    writer.writerow([_("Protection"), table.method])
    writer.writerow(
        [_("Note"), _("%(c)s: hidden to protect the people counted.") % {"c": SUPPRESSED}]
    )
    return out.getvalue().encode("utf-8")


def tables_xlsx(tables: Sequence[ProtectedTable], *, title: str) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    notes = book.add_worksheet(_("Notes")[:31])
    notes.set_column(0, 0, 40)
    notes.set_column(1, 1, 100)
    notes.write(0, 0, title, bold)
    notes.write(1, 0, _("%(c)s: hidden to protect the people counted.") % {"c": SUPPRESSED})
    for n, table in enumerate(tables, start=1):
        sheet = book.add_worksheet(f"{n:02d}")
        notes.write(n + 2, 0, f"{n:02d}: {table.title}", wrap)
        notes.write(n + 2, 1, table.method, wrap)
        sheet.write(0, 0, table.title, bold)
        sheet.set_column(0, 0, 36)
        for r, row in enumerate(table_rows(table), start=2):
            for c, value in enumerate(row):
                sheet.write(r, c, value, bold if r == 2 or c == 0 else None)
        sheet.write(len(table.rows) + 5, 0, table.method, wrap)
    book.close()
    return buffer.getvalue()


# --- HTCDS / CTDC record-level data ---------------------------------------------

HTCDS_COLUMNS = (
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
    "regionOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isForcedMarriage",
    "isOrganRemoval",
    "typeOfLabourDomesticWork",
    "typeOfLabourBegging",
    "isForcedCriminality",
)
_GENDER = {"female": "Female", "male": "Male", "other": "Other", "unknown": ""}


def _flags(kind: str, forced: bool) -> dict[str, int]:
    return {
        "isForcedLabour": int(kind in ("labour", "domestic_servitude", "begging")),
        "isSexualExploit": int(kind == "sexual"),
        "isOtherExploit": int(kind in ("criminality", "other", "forced_marriage", "organ_removal")),
        "isForcedMarriage": int(kind == "forced_marriage"),
        "isOrganRemoval": int(kind == "organ_removal"),
        "typeOfLabourDomesticWork": int(kind == "domestic_servitude"),
        "typeOfLabourBegging": int(kind == "begging"),
        "isForcedCriminality": int(kind == "criminality" or forced),
    }


def htcds_record(f: CaseFact) -> dict[str, Any]:
    band = f.age_band if f.age_band != "unknown" else ""
    return {
        "yearOfRegistration": str(f.year),
        "Datasource": "OpenNRM",
        "gender": _GENDER[f.gender],
        "ageBroad": band,
        "majorityStatus": "Minor" if f.is_child else "Adult",
        "citizenship": "" if f.citizenship == "unknown" else f.citizenship,
        "CountryOfExploitation": f.country,
        "regionOfExploitation": f.region,
        **_flags(f.exploitation, f.forced_criminality),
        "_exploitation": f.exploitation,
    }


def htcds_quasi_identifiers(country: str) -> list[QuasiIdentifier]:
    """Age band → minor/adult; citizenship → national/foreign; region → the country."""

    def age_to_majority(band: Any) -> Any:
        label = ctdc_age_band(band) if band else None
        if not label:
            return ""
        return "Minor" if label in ("0--8", "9--17") else "Adult"

    def national_or_foreign(code: Any) -> Any:
        if not code:
            return ""
        return code if code == country else "foreign"

    return [
        QuasiIdentifier("yearOfRegistration"),
        QuasiIdentifier("gender"),
        QuasiIdentifier("majorityStatus"),
        QuasiIdentifier("ageBroad", (("minor or adult", age_to_majority),)),
        QuasiIdentifier("citizenship", (("national or foreign", national_or_foreign),)),
        QuasiIdentifier("CountryOfExploitation"),
        QuasiIdentifier("regionOfExploitation", (("country", lambda _r: country),)),
    ]


def htcds_anonymise(
    facts: Sequence[CaseFact],
    *,
    country: str,
    k: int,
    l_diversity: int = 1,
    generalise: bool = True,
) -> AnonymisedData:
    records = [htcds_record(f) for f in facts]
    return anonymise(
        records,
        htcds_quasi_identifiers(country),
        k=k,
        sensitive="_exploitation",
        l_diversity=l_diversity,
        generalise=generalise,
    )


def records_csv(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("utf-8")


# --- DP synthetic data -------------------------------------------------------------

SYNTHETIC_COLUMNS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
    "typeOfExploitation",
    "identifyingAgencyType",
    "nonPunishmentFlag",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isForcedCriminality",
)


def synthetic_domains(years: Sequence[int]) -> dict[str, list[Any]]:
    """Fixed in advance from the codes, never from the data."""
    from opennrm.accounts.roles import AgencyType
    from opennrm.cases.models import ExploitationType
    from opennrm.privacy import CTDC_AGE_BANDS

    return {
        "yearOfRegistration": [str(y) for y in years],
        "typeOfExploitation": list(ExploitationType.values),
        "gender": ["female", "male", "other", "unknown"],
        "ageBroad": [b for _l, _h, b in CTDC_AGE_BANDS] + ["unknown"],
        "identifyingAgencyType": [*AgencyType.values, "unknown"],
        "citizenship": ["national", "foreign", "unknown"],
        "nonPunishmentFlag": ["0", "1"],
    }


def synthetic_source(f: CaseFact) -> dict[str, Any]:
    if f.citizenship == "unknown":
        citizenship = "unknown"
    else:
        citizenship = "national" if f.citizenship == f.country else "foreign"
    return {
        "yearOfRegistration": str(f.year),
        "typeOfExploitation": f.exploitation,
        "gender": f.gender,
        "ageBroad": f.age_band,
        "identifyingAgencyType": f.agency_type,
        "citizenship": citizenship,
        "nonPunishmentFlag": "1" if f.forced_criminality else "0",
    }


def synthetic_dataset(
    facts: Sequence[CaseFact],
    *,
    years: Sequence[int],
    country: str,
    epsilon: float,
    rows: int,
    rng: random.Random,
    noise: Any = None,
) -> tuple[SyntheticData, list[dict[str, Any]]]:
    """The synthetic records (internal codes) and their CTDC-style rendering."""
    kwargs = {} if noise is None else {"noise": noise}
    data = synthesise(
        [synthetic_source(f) for f in facts],
        synthetic_domains(years),
        epsilon=epsilon,
        rows=rows,
        rng=rng,
        **kwargs,
    )
    rendered = []
    for r in data.records:
        band = r["ageBroad"]
        kind = r["typeOfExploitation"]
        rendered.append(
            {
                "yearOfRegistration": r["yearOfRegistration"],
                "gender": _GENDER[r["gender"]],
                "ageBroad": "" if band == "unknown" else band,
                "majorityStatus": ""
                if band == "unknown"
                else ("Minor" if band in ("0--8", "9--17") else "Adult"),
                "citizenship": {"national": country, "foreign": "foreign", "unknown": ""}[
                    r["citizenship"]
                ],
                "CountryOfExploitation": country,
                "typeOfExploitation": kind,
                "identifyingAgencyType": r["identifyingAgencyType"],
                "nonPunishmentFlag": r["nonPunishmentFlag"],
                **{
                    k: v
                    for k, v in _flags(kind, r["nonPunishmentFlag"] == "1").items()
                    if k in SYNTHETIC_COLUMNS
                },
            }
        )
    return data, rendered
