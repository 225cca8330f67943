"""Adult end to end: every figure of the spec's checks against an independent pandas/scipy
computation on the raw file, and the pandas and DuckDB engines against each other."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.stats import chisquare

from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec, by_check, close


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Adult read independently of datavet: every cell as text."""
    return pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True, dtype=str,
                       keep_default_na=False)


@pytest.fixture(scope="module")
def project(module_tmp) -> Project:
    return Project(module_tmp / "adult", adult_spec())


@pytest.fixture(scope="module")
def reports(project):
    return {"pandas": project.run("pandas"), "duckdb": project.run("duckdb")}


def present(raw: pd.DataFrame, col: str) -> pd.Series:
    return raw[col][raw[col].str.strip() != "?"]


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_missing_counts_match_the_published_figures(reports, raw, engine):
    report = reports[engine]
    assert report.rows == len(raw) == 32561
    for col in ADULT_NAMES:
        (result,) = by_check(report, "missingness", column=col)
        expected = int((raw[col].str.strip() == "?").sum())
        assert result.observed["missing_count"] == expected
        assert result.observed["token_counts"] == {"null": 0, "?": expected}
        assert result.observed["missing_rate"] == pytest.approx(expected / len(raw), abs=1e-12)
    counts = {c: by_check(report, "missingness", column=c)[0].observed["missing_count"]
              for c in ("workclass", "occupation", "native-country")}
    assert counts == {"workclass": 1836, "occupation": 1843, "native-country": 583}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_parity_of_occupation_by_sex(reports, raw, engine):
    rates = (raw["occupation"].str.strip() == "?").groupby(raw["sex"]).mean()
    for result in by_check(reports[engine], "missingness_parity", column="occupation", by="sex"):
        obs = result.observed
        assert obs["group_missing_rate"] == pytest.approx(rates.to_dict(), abs=1e-12)
        assert obs["max_diff"] == pytest.approx(rates.max() - rates.min(), abs=1e-12)
        assert obs["max_ratio"] == pytest.approx(rates.max() / rates.min(), abs=1e-12)
    passed = {r.thresholds["max_diff"]: r.success for r in by_check(reports[engine], "missingness_parity")}
    assert passed == {0.05: rates.max() - rates.min() <= 0.05, 0.02: rates.max() - rates.min() <= 0.02}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_representation_of_sex_against_reference(reports, raw, engine):
    counts = raw["sex"].value_counts()
    n = counts.sum()
    ref = {"Male": 0.4925, "Female": 0.5075}
    for result in by_check(reports[engine], "representation", column="sex"):
        obs = result.observed
        assert obs["counts"] == counts.to_dict()
        assert obs["shares"] == pytest.approx((counts / n).to_dict(), abs=1e-12)
        ratios = {g: counts[g] / n / r for g, r in ref.items()}
        assert obs["ratios"] == pytest.approx(ratios, abs=1e-9)
        tvd = 0.5 * sum(abs(counts[g] / n - r) for g, r in ref.items())
        assert obs["tvd"] == pytest.approx(tvd, abs=1e-9)
        groups = sorted(ref)
        p = chisquare([counts[g] for g in groups], [ref[g] * n for g in groups]).pvalue
        assert obs["chi2_pvalue"] == pytest.approx(p, abs=1e-9)
        assert obs["absent_groups"] == [] and obs["unexpected_groups"] == []
        assert obs["min_count_observed"] == counts.min()
    (strict,) = [r for r in by_check(reports[engine], "representation", column="sex") if r.thresholds.get("min_ratio")]
    assert not strict.success and strict.severity == "warning"
    assert f"ratios[Female] = {ratios['Female']:.3g} < min_ratio 0.8" in strict.failures


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_representation_of_race_flags_groups_absent_from_reference(reports, raw, engine):
    (result,) = by_check(reports[engine], "representation", column="race")
    counts = raw["race"].value_counts()
    assert result.observed["counts"] == counts.to_dict()
    assert result.observed["shares"]["White"] == pytest.approx(counts["White"] / counts.sum(), abs=1e-12)
    assert result.observed["shares"]["White"] == pytest.approx(0.8543, abs=5e-5)
    assert result.observed["unexpected_groups"] == []
    below = sorted(g for g, n in counts.items() if n < 100)
    assert result.success == (not below)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_intersectional_sex_by_race(reports, raw, engine):
    (result,) = by_check(reports[engine], "intersectional", columns=["sex", "race"])
    table = raw.groupby(["sex", "race"]).size()
    expected = {f"{s}|{r}": int(n) for (s, r), n in table.items()}
    assert result.observed["cell_counts"] == expected
    assert result.observed["empty_cells"] == []
    smallest = sorted(expected.items(), key=lambda kv: (kv[1], kv[0]))[:10]
    assert result.observed["smallest_cells"] == [{"cell": c, "count": n} for c, n in smallest]
    assert result.success == (min(expected.values()) >= 50)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_label_balance_income_by_sex(reports, raw, engine):
    (result,) = by_check(reports[engine], "label_balance", column="income", by="sex")
    rates = (raw["income"] == ">50K").groupby(raw["sex"]).mean()
    assert result.observed["positive_rates"] == pytest.approx(rates.to_dict(), abs=1e-12)
    assert result.observed["disparate_impact"] == pytest.approx(rates.min() / rates.max(), abs=1e-12)
    assert result.observed["parity_difference"] == pytest.approx(rates.max() - rates.min(), abs=1e-12)
    assert not result.success and result.failures[0].startswith("disparate_impact = ")


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_geography_of_native_country(reports, raw, engine):
    import country_converter as coco  # independent resolution: the library itself, per distinct value

    from datavet.geo.countries import _converter, iso3_codes

    converter = _converter()[0]
    values = present(raw, "native-country")
    distinct = sorted(values.unique())
    codes = dict(zip(distinct, converter.convert(distinct, to="ISO3", not_found=None), strict=True))
    # datavet's built-in places (issue 12): the UK's constituent countries are the UK (Adult has Scotland)
    codes.update({v: "GBR" for v in distinct if v in ("England", "Scotland", "Wales", "Northern-Ireland")})
    valid = iso3_codes()
    resolved = values[values.map(lambda v: codes[v] in valid)]
    by_code = resolved.map(codes).value_counts()
    shares = by_code / by_code.sum()
    assert coco is not None
    for result in by_check(reports[engine], "geography", column="native-country"):
        obs = result.observed
        assert obs["resolved_share"] == pytest.approx(len(resolved) / len(values), abs=1e-12)
        assert obs["counts"] == by_code.to_dict()
        assert obs["shares"]["USA"] == pytest.approx((values == "United-States").sum() / len(resolved), abs=1e-12)
        assert obs["top1_country"] == "USA"
        assert obs["top5_share"] == pytest.approx(shares.nlargest(5).sum(), abs=1e-12)
        assert obs["hhi"] == pytest.approx((shares ** 2).sum(), abs=1e-12)
        assert obs["effective_countries"] == pytest.approx(1 / (shares ** 2).sum(), abs=1e-9)
        assert obs["distinct_countries"] == len(by_code)
        unresolved = values[~values.isin(resolved.unique())].value_counts()
        assert obs["unresolved_values"] == unresolved.to_dict()
        assert "South" in obs["unresolved_values"]
        assert set(obs["regions_present"]) <= {"America", "Asia", "Europe", "Oceania", "Africa"}
        assert math.isclose(sum(obs["region_shares"].values()), 1.0, abs_tol=1e-12)
        assert obs["reference_shares"]["CHN"] > 0.15 and obs["ratios"]["CHN"] < 0.1
    error, warning = sorted(by_check(reports[engine], "geography"), key=lambda r: r.severity)
    assert error.success and not warning.success
    assert any(f.startswith("top1_share = ") and "> max_top1_share 0.5" in f for f in warning.failures)


def test_engines_agree_to_1e12(reports):
    pandas, duckdb = reports["pandas"], reports["duckdb"]
    assert [(c.check, c.column, c.by) for c in pandas.checks] == [(c.check, c.column, c.by) for c in duckdb.checks]
    for a, b in zip(pandas.checks, duckdb.checks, strict=True):
        assert close(a.observed, b.observed, 1e-12), (a.check, a.column)
        assert (a.success, a.failures, a.notes) == (b.success, b.failures, b.notes)
    assert pandas.engine == "pandas" and duckdb.engine == "duckdb"


def test_report_json_contract(reports, project):
    import json

    report = reports["duckdb"]
    doc = json.loads(report.to_json())
    assert {"dataset", "data_hash", "rows", "success", "checks"} <= doc.keys()
    assert doc["dataset"] == "adult" and doc["data_hash"] == project.md5
    # warnings fail, errors pass: the report succeeds
    assert doc["success"] is True and report.failed("warning") and not report.failed("error")
    assert "NaN" not in report.to_json() and "Infinity" not in report.to_json()
    assert report.suite_name == "adult" and len(report.suite_hash) == 64
