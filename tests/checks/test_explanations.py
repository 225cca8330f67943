"""A failed limit's explanation: a figure that is defined carries no "why undefined" (a 30,000-row table
is not "(no rows)"), and an undefined one says which side has no rows. Figures against pandas on Adult."""

from __future__ import annotations

import pandas as pd
import pytest

from datavet.checks.drift import share_drift
from datavet.checks.representation import representation
from tests.checks.conftest import ADULT_NAMES, DATA


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True, dtype=str,
                       keep_default_na=False)


def counts_table(series: pd.Series) -> dict:
    return {"columns": [series.name], "rows": [[[k], int(n)] for k, n in series.value_counts().items()]}


def test_failed_tvd_of_a_full_table_has_no_excuse(adult):
    out = representation(counts_table(adult["sex"]), ["?"], reference={"Male": 0.5, "Female": 0.5}, max_tvd=0.1)
    shares = adult["sex"].value_counts(normalize=True)
    tvd = 0.5 * (abs(shares["Male"] - 0.5) + abs(shares["Female"] - 0.5))
    (violation,) = [v.as_json() for v in out.violations]
    assert violation["observed"] == pytest.approx(tvd, abs=1e-12) and "why" not in violation
    assert out.failures == [f"tvd = {tvd:.3g} > max_tvd 0.1"]
    assert "no rows" not in str(out.as_result())


def test_undefined_tvd_says_no_non_missing_rows():
    out = representation({"columns": ["sex"], "rows": [[["?"], 5]]}, ["?"], reference={"a": 1.0}, max_tvd=0.1)
    assert out.failures == ["tvd is undefined (no non-missing rows); max_tvd 0.1 cannot be verified"]


def test_drift_between_two_versions_with_rows(adult):
    before = adult[adult["race"] != "Black"]
    previous = {"tag": "adult/v1", "md5": "x", "counts": before["race"].value_counts().to_dict()}
    out = share_drift(counts_table(adult["race"]), ["?"], previous, max_tvd=0.05)
    now, then = adult["race"].value_counts(normalize=True), before["race"].value_counts(normalize=True)
    tvd = 0.5 * (now - then.reindex(now.index, fill_value=0)).abs().sum()
    (violation,) = [v.as_json() for v in out.violations]
    assert violation["observed"] == pytest.approx(tvd, abs=1e-12) and "why" not in violation
    assert out.failures == [f"tvd = {tvd:.3g} > max_tvd 0.05"]
    # an undefined drift names the version without rows
    empty = share_drift({"columns": ["race"], "rows": [[["?"], 3]]}, ["?"], previous, max_tvd=0.05)
    assert empty.failures == ["tvd is undefined (this version has no non-missing rows); max_tvd 0.05 cannot be "
                              "verified"]
    empty = share_drift(counts_table(adult["race"]), ["?"], {**previous, "counts": {}}, max_tvd=0.05)
    assert empty.failures == ["tvd is undefined (the previous version has no non-missing rows); max_tvd 0.05 cannot be "
                              "verified"]
