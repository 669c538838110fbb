"""Privacy-preserving statistics. Pure library: no Django.

- ``suppress`` / ``suppress_series``: small-cell suppression with complementary
  suppression checked by a linear-programming attack (``feasible_intervals``).
- ``anonymise``: k-anonymity and l-diversity by generalisation, then suppression.
- ``dp_histogram`` / ``dp_count`` and ``PrivacyLedger``: differential privacy through
  OpenDP with a budget that refuses to be exceeded.
- ``synthesise`` / ``utility_report``: DP synthetic microdata from noisy marginals.

Randomness is injected: a ``NoiseSource`` for DP noise (OpenDP by default) and a
``random.Random`` for synthetic sampling.
"""

from opennrm.privacy._dp import (
    BudgetExceeded,
    DPRelease,
    LedgerEntry,
    NoiseSource,
    PrivacyLedger,
    dp_count,
    dp_histogram,
    error_bound,
    expected_abs_error,
    laplace_epsilon,
    mean_relative_error,
    opendp_noise,
)
from opennrm.privacy._kanon import (
    CTDC_AGE_BANDS,
    WITHHELD,
    AnonymisedData,
    AnonymityReport,
    Generalisation,
    KTooLarge,
    QuasiIdentifier,
    anonymise,
    ctdc_age_band,
    is_k_anonymous,
    minor_or_adult,
    year_of,
)
from opennrm.privacy._suppression import (
    Position,
    SuppressedTable,
    feasible_intervals,
    suppress,
    suppress_series,
)
from opennrm.privacy._synthetic import MarginalError, SyntheticData, synthesise, utility_report

__all__ = [
    "CTDC_AGE_BANDS",
    "WITHHELD",
    "AnonymisedData",
    "AnonymityReport",
    "BudgetExceeded",
    "DPRelease",
    "Generalisation",
    "KTooLarge",
    "LedgerEntry",
    "MarginalError",
    "NoiseSource",
    "Position",
    "PrivacyLedger",
    "QuasiIdentifier",
    "SuppressedTable",
    "SyntheticData",
    "anonymise",
    "ctdc_age_band",
    "dp_count",
    "dp_histogram",
    "error_bound",
    "expected_abs_error",
    "feasible_intervals",
    "is_k_anonymous",
    "laplace_epsilon",
    "mean_relative_error",
    "minor_or_adult",
    "opendp_noise",
    "suppress",
    "suppress_series",
    "synthesise",
    "utility_report",
    "year_of",
]
