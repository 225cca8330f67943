"""The drift check on recoded columns: the previous certified version's counts are grouped by the
spec's ``values`` and ``bins`` exactly as this version's are (German credit: sex decoded from
attribute 9, age banded), every figure against pandas on the recoded frames."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.checks.conftest import by_check
from tests.checks.test_datasets import german_spec
from tests.checks.test_drift import ENGINES, TwoVersions, assert_figures, expected_rates, expected_shares, german_cut

SEX = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
BINS = [25, 35, 50, 65]


def recoded(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as the checks see it, by hand (pandas' cut with open bands at both ends)."""
    band = pd.cut(df["age"], [-float("inf"), *BINS, float("inf")], right=False,
                  labels=["< 25", "[25, 35)", "[35, 50)", "[50, 65)", ">= 65"]).astype(str)
    return df.assign(personal_status_sex=df["personal_status_sex"].map(SEX), age=band)


@pytest.fixture(scope="module")
def german(tmp_path_factory) -> TwoVersions:
    spec = german_spec()
    spec["name"] = "german_drift_recoded"
    spec["columns"]["personal_status_sex"]["values"] = SEX
    spec["columns"]["age"] = {"role": "protected", "bins": BINS}
    spec["checks"] = {"missingness": {"max_rate": 1.0},
                      "drift": [{"column": "personal_status_sex", "max_tvd": 0.5},
                                {"column": "age", "max_tvd": 0.5},
                                {"column": "risk", "by": ["personal_status_sex", "age"], "max_rate_change": 1.0}]}
    return TwoVersions(tmp_path_factory.mktemp("drift-recoded"), spec, german_cut)


@pytest.mark.parametrize("engine", ENGINES)
def test_recoded_drift_against_pandas(german, engine):
    new, old = recoded(german.new), recoded(german.previous)
    report = german.reports[engine]
    for column in ("personal_status_sex", "age"):
        (r,) = by_check(report, "drift", column=column)
        assert_figures(r.observed, expected_shares(new, old, column, []))
    assert set(by_check(report, "drift", column="personal_status_sex")[0].observed["counts"]) == {"male", "female"}
    (r,) = by_check(report, "drift", column="risk")
    assert_figures(r.observed, expected_rates(new, old, "risk", ["personal_status_sex", "age"], "1", []))
