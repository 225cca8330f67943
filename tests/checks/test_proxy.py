"""The proxy check: bias-corrected Cramér's V (Bergsma 2013) between a protected attribute and every
other column, against an independent computation (pandas crosstab, numpy ``inverted_cdf`` deciles,
scipy's chi-square) on Adult and German credit, both engines; edge cases on the figure function."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from datavet.changes import metrics_of
from datavet.checks.proxy import proxy
from datavet.datasheet import build_datasheet
from datavet.datasheet.render import render_html, render_markdown
from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec, by_check
from tests.checks.test_datasets import GERMAN, german_spec


def bergsma_v(x: pd.Series, y: pd.Series) -> float | None:
    table = pd.crosstab(x, y).to_numpy()
    n, (r, k) = table.sum(), table.shape
    chi2 = chi2_contingency(table, correction=False)[0] if min(r, k) > 1 else 0.0
    phi2 = max(0.0, chi2 / n - (r - 1) * (k - 1) / (n - 1))
    denom = min(r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)) - 1
    return None if denom <= 0 else math.sqrt(phi2 / denom)


def deciles(values: pd.Series) -> pd.Series:
    cuts = np.unique(np.quantile(values.to_numpy(), np.arange(1, 10) / 10, method="inverted_cdf"))
    return pd.Series(np.searchsorted(cuts, values.to_numpy(), side="left"), index=values.index)


def expected_v(raw: pd.DataFrame, protected: str, column: str, missing: str | None) -> float | None:
    keep = (raw[protected] != missing) & (raw[column] != missing) if missing else raw.index == raw.index
    x, y = raw.loc[keep, protected], raw.loc[keep, column]
    numeric = pd.to_numeric(y, errors="coerce")
    if numeric.notna().all() and y.nunique() > 10:
        y = deciles(numeric)
    return bergsma_v(x, y)


def adult_proxy() -> dict:
    spec = adult_spec()
    spec["checks"] = {"proxy": [{"protected": "sex", "max_cramers_v": 0.5}]}
    return spec


def german_proxy() -> dict:
    spec = german_spec()
    spec["columns"]["telephone"] = {"role": "identifying"}  # left out of the default columns
    spec["checks"] = {"proxy": [{"protected": "personal_status_sex", "max_cramers_v": 0.3},
                                {"protected": "foreign_worker", "max_cramers_v": 0.3,
                                 "columns": ["amount", "purpose", "risk"]}]}
    return spec


@pytest.fixture(scope="module")
def runs(module_tmp):
    out = {}
    for name, spec in (("adult", adult_proxy()), ("german", german_proxy())):
        project = Project(module_tmp / name, spec)
        out[name] = {"project": project, "pandas": project.run("pandas", store=False),
                     "duckdb": project.run("duckdb", store=False)}
    return out


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_adult_relationship_stands_in_for_sex(runs, engine):
    raw = pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True, dtype=str,
                      keep_default_na=False)
    (result,) = by_check(runs["adult"][engine], "proxy", column="sex")
    others = [c for c in ADULT_NAMES if c != "sex"]
    expected = {c: expected_v(raw, "sex", c, "?") for c in others}
    assert result.observed["cramers_v"] == pytest.approx(expected, abs=1e-12)
    assert list(result.observed["cramers_v"]) == sorted(expected, key=lambda c: -expected[c])  # strongest first
    assert list(result.observed["cramers_v"])[0] == "relationship" and expected["relationship"] > 0.6
    assert result.observed["binned_columns"] == ["age", "capital-gain", "capital-loss", "education-num", "fnlwgt",
                                                 "hours-per-week"]
    assert result.observed["rows"]["occupation"] == int((raw["occupation"] != "?").sum())
    above = [c for c in sorted(expected, key=lambda c: -expected[c]) if expected[c] > 0.5]
    assert result.observed["above_limit"] == above == ["relationship"]
    assert result.failures == [f"cramers_v[relationship] = {expected['relationship']:.3g} > max_cramers_v 0.5"]
    assert metrics_of(runs["adult"][engine], 10)["cramers_v"]["sex"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_german_credit(runs, engine):
    raw = pd.read_csv(DATA / "german.data", sep=" ", header=None, names=GERMAN, dtype=str)
    status, foreign = by_check(runs["german"][engine], "proxy")
    others = [c for c in GERMAN if c not in ("personal_status_sex", "telephone")]
    expected = {c: expected_v(raw, "personal_status_sex", c, None) for c in others}
    assert status.observed["cramers_v"] == pytest.approx(expected, abs=1e-12)
    assert status.observed["above_limit"] == [c for c in sorted(expected, key=lambda c: -expected[c])
                                              if expected[c] > 0.3]
    assert status.success == (max(expected.values()) <= 0.3)
    expected = {c: expected_v(raw, "foreign_worker", c, None) for c in ("amount", "purpose", "risk")}
    assert foreign.observed["cramers_v"] == pytest.approx(expected, abs=1e-12)
    assert foreign.observed["binned_columns"] == ["amount"]


def test_datasheet_figure(runs):
    project, report = runs["adult"]["project"], runs["adult"]["duckdb"]
    sheet = build_datasheet(project.loaded, report, project.parquet, data_md5=project.md5)
    (figure,) = sheet.computed.proxies
    assert figure.protected == "sex" and figure.limit == 0.5 and figure.above_limit == ["relationship"]
    assert [(c.group, c.rate) for c in figure.columns] == list(report.checks[-1].observed["cramers_v"].items())
    assert 'id="proxy-0"' in render_html(sheet)
    assert f"| relationship | {figure.columns[0].rate:.3f} |" in render_markdown(sheet)


def counts(rows: list[tuple[list, int]]) -> dict:
    return {"columns": ["p", "c"], "rows": [[list(k), n] for k, n in rows]}


def test_edge_cases():
    # a constant column, and a column with one distinct value per row: nothing to measure
    out = proxy({"const": counts([(["a", "x"], 5), (["b", "x"], 7)]),
                 "ids": counts([([g, f"id{i}"], 1) for i, g in enumerate("aabbb")])}, [], max_cramers_v=0.1)
    assert out.observed["cramers_v"] == {"const": None, "ids": None}
    assert out.notes == ["cramers_v[const] is null: it has one value",
                         "cramers_v[ids] is null: no association is measurable (e.g. one value per row)"]
    assert out.success  # an undefined V is no evidence of a proxy
    # a perfect proxy, and a group of one row
    perfect = counts([(["a", "x"], 50), (["b", "y"], 50)])
    one = counts([(["a", "x"], 50), (["a", "y"], 49), (["b", "x"], 1)])
    out = proxy({"perfect": perfect, "one": one}, [], max_cramers_v=0.5)
    raw_one = pd.DataFrame({"p": ["a"] * 99 + ["b"], "c": ["x"] * 50 + ["y"] * 49 + ["x"]})
    assert out.observed["cramers_v"] == pytest.approx({"perfect": 1.0, "one": bergsma_v(raw_one["p"], raw_one["c"])},
                                                      abs=1e-12)
    assert out.observed["above_limit"] == ["perfect"]
    # missing values (null or a token) on either side are left out
    out = proxy({"m": counts([(["a", "x"], 3), ([None, "x"], 4), (["b", "?"], 2), (["b", "y"], 3)])}, ["?"])
    assert out.observed["rows"] == {"m": 6}


def test_a_column_compared_on_few_rows_is_withheld():
    from datavet.privacy.publish import publish_result
    from datavet.report import CheckResult

    few = counts([(["a", "x"], 3), (["b", "y"], 3)])
    many = counts([(["a", "x"], 40), (["b", "y"], 40)])
    out = proxy({"few": few, "many": many}, [], max_cramers_v=0.5)
    assert out.observed["cramers_v"] == {"few": 1.0, "many": 1.0} and out.observed["rows"] == {"few": 6, "many": 80}
    result = CheckResult(check="proxy", column="p", success=False, observed=out.observed, failures=out.failures,
                         violations=[v.as_json() for v in out.violations], notes=out.notes)
    published = publish_result(result, 10)
    assert published.observed["cramers_v"] == {"few": None, "many": 1.0}
    assert published.observed["rows"] == {"few": "<10", "many": 80}
    assert published.failures == ["cramers_v[few] = withheld (small cell) > max_cramers_v 0.5",
                                  "cramers_v[many] = 1 > max_cramers_v 0.5"]


def scipy_bergsma_v(x: pd.Series, y: pd.Series) -> float:
    """Bias-corrected V from scipy's plain Cramér's V: phi² = V² · min(r-1, k-1), then Bergsma's correction."""
    from scipy.stats.contingency import association

    table = pd.crosstab(x, y).to_numpy()
    n, (r, k) = table.sum(), table.shape
    phi2 = association(table, method="cramer", correction=False) ** 2 * min(r - 1, k - 1)
    phi2 = max(0.0, phi2 - (r - 1) * (k - 1) / (n - 1))
    return math.sqrt(phi2 / (min(r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)) - 1))


SEXES = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
AGE_BINS = [25, 35, 50, 65]


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_values_and_bins_recode_before_cramers_v(module_tmp, engine):
    """German credit with personal_status_sex mapped to two groups and age in bands: V is that of the
    recoded columns (pandas map/cut, scipy's association), not of the five codes or the 53 raw ages."""
    spec = german_spec()
    spec["columns"]["personal_status_sex"] = {"role": "protected", "values": SEXES}
    spec["columns"]["age"] = {"role": "protected", "bins": AGE_BINS}
    spec["checks"] = {"proxy": [{"protected": "personal_status_sex", "max_cramers_v": 0.3,
                                 "columns": ["age", "job", "housing", "amount"]},
                                {"protected": "age", "max_cramers_v": 0.3, "columns": ["housing", "job"]}]}
    project = Project(module_tmp / f"german-recoded-{engine}", spec)
    sex_result, age_result = by_check(project.run(engine, store=False), "proxy")
    raw = pd.read_csv(DATA / "german.data", sep=" ", header=None, names=GERMAN, dtype=str)
    sex = raw["personal_status_sex"].map(SEXES)
    age = pd.cut(raw["age"].astype(int), [-math.inf, *AGE_BINS, math.inf], right=False)
    expected = {"age": scipy_bergsma_v(sex, age), "job": scipy_bergsma_v(sex, raw["job"]),
                "housing": scipy_bergsma_v(sex, raw["housing"]),
                "amount": scipy_bergsma_v(sex, deciles(raw["amount"].astype(int)))}
    assert sex_result.observed["cramers_v"] == pytest.approx(expected, abs=1e-12)
    assert sex_result.observed["binned_columns"] == ["amount"]  # age is in its bands, not in deciles
    raw_codes = bergsma_v(raw["personal_status_sex"], raw["job"])
    assert abs(raw_codes - expected["job"]) > 1e-3  # the five raw codes give another figure
    assert age_result.observed["cramers_v"] == pytest.approx(
        {"housing": scipy_bergsma_v(age, raw["housing"]), "job": scipy_bergsma_v(age, raw["job"])}, abs=1e-12)
