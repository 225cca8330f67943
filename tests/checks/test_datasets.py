"""Titanic, German credit and bank marketing: figures against independent pandas/scipy computations,
on both engines (engines compared to 1e-12)."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import chisquare

from tests.checks.conftest import DATA, Project, base_spec, by_check, close

GERMAN = ["status", "duration", "history", "purpose", "amount", "savings", "employment", "rate",
          "personal_status_sex", "debtors", "residence", "property", "age", "other_plans", "housing",
          "credits", "job", "dependents", "telephone", "foreign_worker", "risk"]


def titanic_spec() -> dict:
    spec = base_spec("titanic", DATA / "titanic_train.csv")
    spec["columns"] = {"Sex": {"role": "protected"}, "Survived": {"role": "label", "positive": "1"},
                       "Name": {"role": "identifying"}}
    spec["checks"] = {
        "missingness": {"max_rate": 0.5, "columns": {"Cabin": 0.8}},
        "representation": [{"column": "Sex", "reference": {"male": 0.5, "female": 0.5}, "min_ratio": 0.8}],
        "intersectional": [{"columns": ["Sex", "Pclass"], "min_count": 50}],
        "label_balance": [{"label": "Survived", "by": "Sex", "min_disparate_impact": 0.8, "severity": "warning"}],
    }
    return spec


def german_spec() -> dict:
    spec = base_spec("german", DATA / "german.data")
    spec["source"]["options"] = {"sep": " ", "header": None, "names": GERMAN}
    spec["columns"] = {"personal_status_sex": {"role": "protected"}, "foreign_worker": {"role": "protected"},
                       "risk": {"role": "label", "positive": "1"}}
    spec["checks"] = {
        "representation": [{"column": "personal_status_sex", "min_count": 20},
                           {"column": "foreign_worker", "reference": {"A201": 0.9, "A202": 0.1}, "max_tvd": 0.1}],
        "label_balance": [{"label": "risk", "by": "foreign_worker", "min_disparate_impact": 0.8}],
        "intersectional": [{"columns": ["personal_status_sex", "foreign_worker"], "min_count": 1}],
    }
    return spec


def bank_spec() -> dict:
    spec = base_spec("bank", DATA / "bank_marketing_bank.csv", missing_tokens=["unknown"])
    spec["source"]["options"] = {"sep": ";"}
    spec["columns"] = {"marital": {"role": "protected"}, "y": {"role": "label", "positive": "yes"}}
    spec["checks"] = {
        "missingness": {"max_rate": 0.5, "parity": [{"column": "education", "by": "job", "max_ratio": 3.0}]},
        "representation": [{"column": "marital", "min_share": 0.05}, {"column": "job", "min_count": 50}],
        "label_balance": [{"label": "y", "by": "marital", "max_parity_difference": 0.1}],
    }
    return spec


@pytest.fixture(scope="module")
def runs(module_tmp):
    out = {}
    for name, spec in (("titanic", titanic_spec()), ("german", german_spec()), ("bank", bank_spec())):
        project = Project(module_tmp / name, spec)
        out[name] = {"pandas": project.run("pandas", store=False), "duckdb": project.run("duckdb", store=False)}
    return out


@pytest.mark.parametrize("name", ["titanic", "german", "bank"])
def test_engines_agree(runs, name):
    a, b = runs[name]["pandas"], runs[name]["duckdb"]
    assert len(a.checks) == len(b.checks)
    for x, y in zip(a.checks, b.checks, strict=True):
        assert (x.check, x.column, x.columns, x.by) == (y.check, y.column, y.columns, y.by)
        assert close(x.observed, y.observed, 1e-12), (name, x.check, x.column)
        assert (x.success, x.failures) == (y.success, y.failures)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_titanic(runs, engine):
    report = runs["titanic"][engine]
    raw = pd.read_csv(DATA / "titanic_train.csv", dtype=str, keep_default_na=False)
    assert report.rows == len(raw) == 891
    empty = {c: int((raw[c] == "").sum()) for c in raw.columns}
    for col, n in empty.items():
        (result,) = by_check(report, "missingness", column=col)
        assert result.observed["missing_count"] == n
        assert result.observed["token_counts"] == {"null": n}
    assert {c: empty[c] for c in ("Age", "Cabin", "Embarked")} == {"Age": 177, "Cabin": 687, "Embarked": 2}
    (cabin,) = by_check(report, "missingness", column="Cabin")
    assert cabin.success and cabin.thresholds == {"max_rate": 0.8}
    (sex,) = by_check(report, "representation", column="Sex")
    counts = raw["Sex"].value_counts()
    assert sex.observed["shares"]["male"] == pytest.approx(counts["male"] / 891, abs=1e-12)
    assert sex.observed["chi2_pvalue"] == pytest.approx(
        chisquare([counts["female"], counts["male"]], [445.5, 445.5]).pvalue, abs=1e-9)
    (cells,) = by_check(report, "intersectional")
    assert cells.observed["cell_counts"] == {f"{s}|{p}": int(n) for (s, p), n in
                                             raw.groupby(["Sex", "Pclass"]).size().items()}
    (balance,) = by_check(report, "label_balance")
    rates = (raw["Survived"] == "1").groupby(raw["Sex"]).mean()
    assert balance.observed["positive_rates"] == pytest.approx(rates.to_dict(), abs=1e-12)
    assert balance.observed["disparate_impact"] == pytest.approx(rates.min() / rates.max(), abs=1e-12)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_german_credit(runs, engine):
    report = runs["german"][engine]
    raw = pd.read_csv(DATA / "german.data", sep=" ", header=None, names=GERMAN, dtype=str)
    (status,) = by_check(report, "representation", column="personal_status_sex")
    assert status.observed["counts"] == raw["personal_status_sex"].value_counts().to_dict()
    assert set(status.observed["counts"]) <= {"A91", "A92", "A93", "A94", "A95"}
    (foreign,) = by_check(report, "representation", column="foreign_worker")
    share = (raw["foreign_worker"] == "A201").mean()
    assert foreign.observed["shares"]["A201"] == pytest.approx(share, abs=1e-12)
    assert foreign.observed["shares"]["A201"] == pytest.approx(0.963, abs=1e-9)
    assert foreign.observed["tvd"] == pytest.approx(abs(share - 0.9), abs=1e-9)
    assert foreign.success == (abs(share - 0.9) <= 0.1)
    (balance,) = by_check(report, "label_balance")
    rates = (raw["risk"] == "1").groupby(raw["foreign_worker"]).mean()
    assert balance.observed["positive_rates"] == pytest.approx(rates.to_dict(), abs=1e-12)
    assert balance.success == (rates.min() / rates.max() >= 0.8)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_bank_marketing_unknown_is_missing(runs, engine):
    report = runs["bank"][engine]
    raw = pd.read_csv(DATA / "bank_marketing_bank.csv", sep=";", dtype=str, keep_default_na=False)
    expected = {"job": 38, "education": 187, "contact": 1324, "poutcome": 3705}
    for col, n in expected.items():
        (result,) = by_check(report, "missingness", column=col)
        assert result.observed["missing_count"] == n == int((raw[col] == "unknown").sum())
        assert result.observed["token_counts"] == {"null": 0, "unknown": n}
    (poutcome,) = by_check(report, "missingness", column="poutcome")
    assert not poutcome.success
    assert poutcome.failures == [f"missing_rate = {3705 / 4521:.3g} > max_rate 0.5"]
    (job,) = by_check(report, "representation", column="job")
    assert "unknown" not in job.observed["counts"]
    assert job.observed["non_missing"] == 4521 - 38
    (parity,) = by_check(report, "missingness_parity")
    missing = (raw["education"] == "unknown").groupby(raw["job"].where(raw["job"] != "unknown", "<missing>")).mean()
    assert parity.observed["group_missing_rate"] == pytest.approx(missing.to_dict(), abs=1e-12)
    (balance,) = by_check(report, "label_balance")
    rates = (raw["y"] == "yes").groupby(raw["marital"]).mean()
    assert balance.observed["parity_difference"] == pytest.approx(rates.max() - rates.min(), abs=1e-12)
