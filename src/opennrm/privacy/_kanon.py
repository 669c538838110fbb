"""k-anonymity and l-diversity of record-level data, by generalisation then suppression.

Each quasi-identifier has a ladder of generalisations (level 0 = as recorded, the
last level = withheld). The search greedily climbs the ladder of whichever
quasi-identifier most reduces the number of records in classes that are too small
(or not diverse enough), and stops when the records at risk are no more than
``max_suppression`` of the data or every ladder is exhausted; the records still at
risk are then removed. The report says which ladder step each quasi-identifier
ended on and how many records were removed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Record = Mapping[str, Any]
WITHHELD = "*"

#: CTDC's broad age bands (the codebook's ``ageBroad``)
CTDC_AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 8, "0--8"),
    (9, 17, "9--17"),
    (18, 20, "18--20"),
    (21, 23, "21--23"),
    (24, 26, "24--26"),
    (27, 29, "27--29"),
    (30, 38, "30--38"),
    (39, 47, "39--47"),
    (48, None, "48+"),
)


def ctdc_age_band(age: Any) -> str | None:
    """The CTDC band of an age in years; a band passes through unchanged."""
    if age is None or age == "":
        return None
    if isinstance(age, str) and not age.isdigit():
        return age
    years = int(age)
    for low, high, label in CTDC_AGE_BANDS:
        if years >= low and (high is None or years <= high):
            return label
    return None


_MINOR_BANDS = {"0--8", "9--17"}


def minor_or_adult(band: Any) -> str | None:
    """CTDC band → "minor" / "adult" (the next step up the age ladder)."""
    if band is None or band == "":
        return None
    label = ctdc_age_band(band)
    if label is None:
        return None
    return "minor" if label in _MINOR_BANDS else "adult"


def year_of(value: Any) -> str | None:
    """A date or ``YYYY-MM-DD``/``YYYY-MM`` string → its year."""
    if value is None or value == "":
        return None
    if hasattr(value, "year"):
        return str(value.year)
    return str(value)[:4]


@dataclass(frozen=True)
class QuasiIdentifier:
    """A field that, combined with others, can single a person out, and how to coarsen it.

    ``ladder``: functions from the recorded value to ever coarser values; the field is
    withheld (``*``) after the last one."""

    name: str
    ladder: tuple[tuple[str, Callable[[Any], Any]], ...] = ()

    @property
    def levels(self) -> int:
        return len(self.ladder) + 2  # as recorded, each step, withheld

    def level_name(self, level: int) -> str:
        if level == 0:
            return "as recorded"
        if level <= len(self.ladder):
            return self.ladder[level - 1][0]
        return "withheld"

    def apply(self, value: Any, level: int) -> Any:
        if level == 0:
            return value
        if level > len(self.ladder):
            return WITHHELD
        for _name, step in self.ladder[:level]:
            value = step(value)
        return value


@dataclass(frozen=True)
class Generalisation:
    field: str
    level: int
    description: str


@dataclass(frozen=True)
class AnonymityReport:
    k: int
    l_diversity: int
    sensitive: str | None
    records_in: int
    records_out: int
    generalisations: tuple[Generalisation, ...]
    smallest_class: int

    @property
    def suppressed(self) -> int:
        return self.records_in - self.records_out

    @property
    def suppressed_share(self) -> float:
        return self.suppressed / self.records_in if self.records_in else 0.0


@dataclass
class AnonymisedData:
    records: list[dict[str, Any]]
    report: AnonymityReport
    _levels: dict[str, int] = field(default_factory=dict)


class KTooLarge(ValueError):
    """No record can be kept at this k (the data set is smaller than k)."""


def _class_key(record: Mapping[str, Any], names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(record.get(n) for n in names)


def _at_risk(
    records: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    k: int,
    sensitive: str | None,
    l_div: int,
) -> set[tuple[Any, ...]]:
    sizes: Counter[tuple[Any, ...]] = Counter()
    values: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
    for r in records:
        key = _class_key(r, names)
        sizes[key] += 1
        if sensitive is not None and l_div > 1:
            values[key].add(r.get(sensitive))
    bad = {key for key, n in sizes.items() if n < k}
    if sensitive is not None and l_div > 1:
        bad |= {key for key, vals in values.items() if len(vals) < l_div}
    return bad


def anonymise(
    records: Sequence[Record],
    quasi_identifiers: Sequence[QuasiIdentifier],
    *,
    k: int = 11,
    sensitive: str | None = None,
    l_diversity: int = 1,
    generalise: bool = True,
    max_suppression: float = 0.05,
) -> AnonymisedData:
    """Make ``records`` k-anonymous (and distinct-l-diverse on ``sensitive``).

    Raises ``KTooLarge`` when ``k`` exceeds the number of records (nothing could be
    published). With ``generalise=False`` only suppression is used (for comparison)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if l_diversity < 1:
        raise ValueError("l must be at least 1")
    if k > len(records):
        raise KTooLarge(f"k={k} is larger than the {len(records)} records")
    names = [q.name for q in quasi_identifiers]
    levels = {q.name: 0 for q in quasi_identifiers}
    # memoise each quasi-identifier's generalised column per level
    columns: dict[tuple[str, int], list[Any]] = {}

    def column(q: QuasiIdentifier, level: int) -> list[Any]:
        key = (q.name, level)
        if key not in columns:
            columns[key] = [q.apply(r.get(q.name), level) for r in records]
        return columns[key]

    sensitive_col = [r.get(sensitive) for r in records] if sensitive is not None else None

    def keys_at(current: Mapping[str, int]) -> list[tuple[Any, ...]]:
        return list(zip(*(column(q, current[q.name]) for q in quasi_identifiers), strict=True))

    def risk(current: Mapping[str, int]) -> tuple[int, int, list[tuple[Any, ...]], set[Any]]:
        keys = keys_at(current) if names else [() for _ in records]
        sizes = Counter(keys)
        bad: set[Any] = {key for key, n in sizes.items() if n < k}
        if sensitive_col is not None and l_diversity > 1:
            values: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
            for key, v in zip(keys, sensitive_col, strict=True):
                values[key].add(v)
            bad |= {key for key, vals in values.items() if len(vals) < l_diversity}
        n_bad = sum(sizes[key] for key in bad)
        return n_bad, len(sizes), keys, bad

    # progress is fewer records at risk, or else fewer (so larger) classes: exact ages
    # and dates make every record unique, and only a second step frees any of them
    n_bad, n_classes, keys, bad = risk(levels)
    limit = max_suppression * len(records)
    while generalise and n_bad > limit:
        best: tuple[int, int, str] | None = None
        for q in quasi_identifiers:
            # never withhold a field entirely by generalisation: suppression is cheaper
            if levels[q.name] + 1 >= q.levels - 1:
                continue
            trial = dict(levels)
            trial[q.name] += 1
            trial_bad, trial_classes, _keys, _bad = risk(trial)
            if best is None or (trial_bad, trial_classes) < best[:2]:
                best = (trial_bad, trial_classes, q.name)
        if best is None or best[:2] >= (n_bad, n_classes):
            break
        levels[best[2]] += 1
        n_bad, n_classes, keys, bad = risk(levels)
    rows = []
    for r, key in zip(records, keys, strict=True):
        if key in bad:
            continue
        row = dict(r)
        row.update(zip(names, key, strict=True))
        rows.append(row)
    kept = rows
    sizes = Counter(_class_key(r, names) for r in kept)
    report = AnonymityReport(
        k=k,
        l_diversity=l_diversity,
        sensitive=sensitive,
        records_in=len(records),
        records_out=len(kept),
        generalisations=tuple(
            Generalisation(q.name, levels[q.name], q.level_name(levels[q.name]))
            for q in quasi_identifiers
        ),
        smallest_class=min(sizes.values()) if sizes else 0,
    )
    return AnonymisedData(records=kept, report=report, _levels=levels)


def is_k_anonymous(
    records: Sequence[Record],
    names: Sequence[str],
    k: int,
    *,
    sensitive: str | None = None,
    l_diversity: int = 1,
) -> bool:
    """Check a published data set: every combination of the quasi-identifiers occurs
    at least ``k`` times (and with ``l_diversity`` distinct sensitive values)."""
    return not _at_risk(records, names, k, sensitive, l_diversity)
