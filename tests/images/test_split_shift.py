"""The ``split_shift`` check on Titanic cut into train and test: counts, shares, TVD, share and
survival-rate differences and Wilson intervals equal pandas/scipy; limits decide; small cells withheld."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import norm

from datavet.checks import run_checks
from datavet.privacy import publish_result
from datavet.spec import SpecError, load_spec
from tests.conftest import SHARED_DATA, make_project


def _wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    z = norm.ppf(0.5 + confidence / 2)
    p = k / n
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (
        1 + z * z / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    df = pd.read_csv(SHARED_DATA / "titanic_train.csv", keep_default_na=False, dtype=str)
    df["split"] = ["test" if int(p) % 3 == 0 else "train" for p in df["PassengerId"]]
    path = tmp_path_factory.mktemp("titanic") / "titanic_split.csv"
    df.to_csv(path, index=False)
    return path, df


def _report(tmp_path: Path, path: Path, entry: dict):
    spec = {"name": "titanic", "title": "Titanic", "owner": "qa@example.org", "license": "CC0-1.0",
            "source": {"path": str(path), "format": "csv"}, "small_cell_threshold": 1,
            "columns": {"Sex": {"role": "protected"}, "Survived": {"role": "label", "positive": "1"}},
            "checks": {"split_shift": [entry]}}
    loaded = load_spec(make_project(tmp_path, spec))
    report = run_checks(loaded, path, engine="duckdb", store=False)
    return next(c for c in report.checks if c.check == "split_shift")


def test_figures_equal_pandas(data, tmp_path: Path) -> None:
    path, df = data
    result = _report(tmp_path, path, {"split_column": "split", "column": "Sex", "label": "Survived",
                                      "max_tvd": 0.001, "severity": "warning"})
    o = result.observed
    assert o["splits"] == ["test", "train"] and o["reference_split"] == "train"
    counts = pd.crosstab(df["split"], df["Sex"])
    shares = counts.div(counts.sum(axis=1), axis=0)
    for s in ("test", "train"):
        assert o["counts"][s] == counts.loc[s].to_dict()
        for g in ("female", "male"):
            assert o["shares"][s][g] == pytest.approx(shares.loc[s, g], abs=1e-12)
            lo, hi = _wilson(int(counts.loc[s, g]), int(counts.loc[s].sum()), 0.95)
            assert o["share_intervals"][s][g] == pytest.approx([lo, hi], abs=1e-12)
    tvd = (shares.loc["test"] - shares.loc["train"]).abs().sum() / 2
    assert o["tvd"]["test"] == pytest.approx(tvd, abs=1e-12)
    rates = df.assign(pos=df["Survived"] == "1").groupby(["split", "Sex"])["pos"].mean()
    for g in ("female", "male"):
        assert o["positive_rates"]["test"][g] == pytest.approx(rates[("test", g)], abs=1e-12)
        assert o["rate_differences"]["test"][g] == pytest.approx(rates[("test", g)] - rates[("train", g)], abs=1e-12)
    assert not result.success and result.failures[0].startswith("tvd")


def test_a_small_split_is_withheld_when_published(data, tmp_path: Path) -> None:
    path, df = data
    small = df.copy()
    small.loc[small.index[:3], "split"] = "validation"  # a split of 3 rows
    small_path = tmp_path / "small.csv"
    small.to_csv(small_path, index=False)
    result = _report(tmp_path / "p", small_path, {"split_column": "split", "column": "Sex", "max_tvd": 1.0})
    assert result.success and result.observed["rows"]["validation"] == 3
    published = publish_result(result, 10).observed
    assert published["rows"]["validation"] == "<10"
    assert all(v is None for v in published["shares"]["validation"].values())
    assert published["tvd"]["validation"] is None


def test_a_private_column_is_refused(data, tmp_path: Path) -> None:
    path, _ = data
    spec = {"name": "titanic", "title": "Titanic", "owner": "qa@example.org", "license": "CC0-1.0",
            "source": {"path": str(path), "format": "csv"},
            "columns": {"Name": {"role": "identifying"}},
            "checks": {"split_shift": [{"split_column": "split", "column": "Name"}]}}
    with pytest.raises(SpecError, match="split_shift names 'Name'"):
        load_spec(make_project(tmp_path, spec))
