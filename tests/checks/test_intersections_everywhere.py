"""``by`` as a list in label_balance and missingness parity: the groups are the combinations of the
attributes. Every figure against an independent pandas groupby on Adult, German credit and the FairFace
manifest, on both engines; the small-cell rule on the best/worst cell; private attributes renamed part
by part with the same numbering as their own figures; edge cases on the pure figure functions."""

from __future__ import annotations

import pandas as pd
import pytest

from datavet.checks.label_balance import label_balance
from datavet.checks.missingness_parity import missingness_parity
from tests.checks.conftest import ADULT_NAMES, DATA, Project, adult_spec, base_spec, by_check
from tests.checks.test_datasets import GERMAN, german_spec


def adult_lists() -> dict:
    spec = adult_spec()
    spec["checks"] = {
        "missingness": {"parity": [{"column": "occupation", "by": ["sex", "race"], "max_diff": 0.05}]},
        "label_balance": [{"label": "income", "by": ["sex", "race"], "min_disparate_impact": 0.8}],
    }
    return spec


def german_lists() -> dict:
    spec = german_spec()
    spec["columns"]["personal_status_sex"]["role"] = "sensitive"
    spec["checks"] = {
        "representation": [{"column": "personal_status_sex"}],
        "label_balance": [{"label": "risk", "by": ["personal_status_sex", "foreign_worker"],
                           "max_parity_difference": 0.5}],
    }
    return spec


def fairface_spec() -> dict:
    spec = base_spec("fairface", DATA / "fairface_label_val.csv")
    spec["columns"] = {"gender": {"role": "protected"}, "race": {"role": "protected"},
                       "service_test": {"role": "label", "positive": "True"}}
    spec["checks"] = {
        "missingness": {"parity": [{"column": "age", "by": ["gender", "race"], "max_diff": 0.01}]},
        "label_balance": [{"label": "service_test", "by": ["gender", "race"], "min_disparate_impact": 0.8},
                          {"label": "service_test", "by": ["race"], "min_disparate_impact": 0.8}],
    }
    return spec


@pytest.fixture(scope="module")
def runs(module_tmp):
    out = {}
    for name, spec in (("adult", adult_lists()), ("german", german_lists()), ("fairface", fairface_spec())):
        project = Project(module_tmp / name, spec)
        out[name] = {"pandas": project.run("pandas", store=False), "duckdb": project.run("duckdb", store=False)}
    return out


def rates_of(flag: pd.Series, groups: list[pd.Series]) -> tuple[dict[str, float], dict[str, int]]:
    """{"a|b": mean of flag, ...} and {"a|b": rows} by an independent pandas groupby."""
    grouped = flag.groupby(groups)
    name = (lambda k: "|".join(k)) if len(groups) > 1 else str  # noqa: E731
    return ({name(k): float(v) for k, v in grouped.mean().items()},
            {name(k): int(v) for k, v in grouped.size().items()})


def extremes(rates: dict[str, float], rows: dict[str, int]) -> tuple[dict, dict]:
    high = max(sorted(rates), key=lambda c: rates[c])  # max keeps the first of equal rates
    low = min(sorted(rates), key=lambda c: rates[c])
    return ({"cell": high, "rate": rates[high], "rows": rows[high]},
            {"cell": low, "rate": rates[low], "rows": rows[low]})


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_adult_label_balance_and_parity_by_sex_and_race(runs, engine):
    raw = pd.read_csv(DATA / "adult.data", header=None, names=ADULT_NAMES, skipinitialspace=True, dtype=str,
                      keep_default_na=False)
    report = runs["adult"][engine]
    (balance,) = by_check(report, "label_balance", by=["sex", "race"])
    rates, rows = rates_of(raw["income"] == ">50K", [raw["sex"], raw["race"]])
    assert len(rates) == 10
    assert balance.observed["positive_rates"] == pytest.approx(rates, abs=1e-12)
    assert balance.observed["rows"] == rows
    best, worst = extremes(rates, rows)
    assert balance.observed["best_cell"] == pytest.approx(best, abs=1e-12)
    assert balance.observed["worst_cell"] == pytest.approx(worst, abs=1e-12)
    assert best["cell"] == "Male|Asian-Pac-Islander" and worst["cell"] == "Female|Other"
    di = min(rates.values()) / max(rates.values())
    assert balance.observed["disparate_impact"] == pytest.approx(di, abs=1e-12)
    assert not balance.success and balance.failures == [f"disparate_impact = {di:.3g} < min_disparate_impact 0.8"]
    assert balance.subject == "income by sex x race"

    (parity,) = by_check(report, "missingness_parity", by=["sex", "race"])
    missing, groups = rates_of(raw["occupation"] == "?", [raw["sex"], raw["race"]])
    assert parity.observed["group_missing_rate"] == pytest.approx(missing, abs=1e-12)
    assert parity.observed["group_rows"] == groups
    high, low = extremes(missing, groups)
    assert parity.observed["best_cell"] == pytest.approx(low, abs=1e-12)
    assert parity.observed["worst_cell"] == pytest.approx(high, abs=1e-12)
    spread = max(missing.values()) - min(missing.values())
    assert parity.observed["max_diff"] == pytest.approx(spread, abs=1e-12)
    assert parity.success == (spread <= 0.05)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_german_group_of_one_row_is_a_small_cell(runs, engine):
    raw = pd.read_csv(DATA / "german.data", sep=" ", header=None, names=GERMAN, dtype=str)
    report = runs["german"][engine]
    (rep,) = by_check(report, "representation", column="personal_status_sex")
    (balance,) = by_check(report, "label_balance")
    # the private attribute is renamed part by part with the numbering of its own figures
    order = sorted(raw["personal_status_sex"].value_counts().items(), key=lambda kv: (-kv[1], kv[0]))
    numbering = {value: f"group-{i}" for i, (value, _) in enumerate(order, start=1)}
    assert set(rep.observed["counts"]) == set(numbering.values())
    renamed = raw["personal_status_sex"].map(numbering)
    rates, rows = rates_of(raw["risk"] == "1", [renamed, raw["foreign_worker"]])
    assert balance.observed["positive_rates"] == pytest.approx(rates, abs=1e-12)
    assert balance.observed["rows"] == rows
    assert not any(v in str(balance.observed) for v in ("A91", "A92", "A93", "A94"))
    one = numbering["A91"] + "|A202"
    assert rows[one] == 1  # a group of one row
    best, worst = extremes(rates, rows)
    assert balance.observed["best_cell"] == pytest.approx(best, abs=1e-12)
    assert balance.observed["worst_cell"] == pytest.approx(worst, abs=1e-12)
    spread = max(rates.values()) - min(rates.values())
    assert balance.success == (spread <= 0.5)

    published = report.published(10)
    (pub,) = by_check(published, "label_balance")
    assert pub.observed["rows"][one] == "<10" and pub.observed["positive_rates"][one] is None
    for key in ("best_cell", "worst_cell"):
        cell = balance.observed[key]
        if cell["rows"] < 10:
            assert pub.observed[key] == {"cell": cell["cell"], "rate": None, "rows": "<10"}
        else:
            assert pub.observed[key] == cell
    from datavet.changes import metrics_of

    metrics = metrics_of(report, 10)["positive_rate"]["risk_by_personal_status_sex+foreign_worker"]
    assert one not in metrics and metrics == pytest.approx({c: r for c, r in rates.items() if rows[c] >= 10})


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_fairface_gender_by_race(runs, engine):
    raw = pd.read_csv(DATA / "fairface_label_val.csv", dtype=str, keep_default_na=False)
    report = runs["fairface"][engine]
    (balance,) = by_check(report, "label_balance", by=["gender", "race"])
    rates, rows = rates_of(raw["service_test"] == "True", [raw["gender"], raw["race"]])
    assert len(rates) == 14 and sum(rows.values()) == len(raw) == 10954
    assert balance.observed["positive_rates"] == pytest.approx(rates, abs=1e-12)
    best, worst = extremes(rates, rows)
    assert balance.observed["best_cell"] == pytest.approx(best, abs=1e-12)
    assert balance.observed["worst_cell"] == pytest.approx(worst, abs=1e-12)
    assert balance.success == (min(rates.values()) / max(rates.values()) >= 0.8)
    # a list of one attribute is that attribute: the figures of a plain ``by``, no best/worst cell
    (single,) = by_check(report, "label_balance", by=["race"])
    race_rates, _ = rates_of(raw["service_test"] == "True", [raw["race"]])
    assert single.observed["positive_rates"] == pytest.approx(race_rates, abs=1e-12)
    assert "best_cell" not in single.observed
    (parity,) = by_check(report, "missingness_parity")
    assert parity.observed["group_missing_rate"] == dict.fromkeys(rates, 0.0)  # age is never missing
    assert parity.observed["max_ratio"] is None and parity.success
    first = sorted(rates)[0]
    assert parity.observed["best_cell"] == parity.observed["worst_cell"] == {"cell": first, "rate": 0.0,
                                                                              "rows": rows[first]}


def counts(columns: list[str], rows: list[tuple[list, int]]) -> dict:
    return {"columns": columns, "rows": [[list(k), n] for k, n in rows]}


def test_edge_cases_of_the_figure_functions():
    # a constant attribute: one combination per value of the other
    out = label_balance(counts(["a", "b", "y"], [(["x", "p", "1"], 3), (["x", "q", "0"], 2), (["x", "q", "1"], 2)]),
                        [], "1")
    assert out.observed["positive_rates"] == {"x|p": 1.0, "x|q": 0.5}
    assert out.observed["best_cell"] == {"cell": "x|p", "rate": 1.0, "rows": 3}
    assert out.observed["worst_cell"] == {"cell": "x|q", "rate": 0.5, "rows": 4}
    # one distinct value per row: every cell is a group of one row
    rows = [([str(i), "k", "1" if i % 2 else "0"], 1) for i in range(4)]
    out = label_balance(counts(["id", "b", "y"], rows), [], "1", min_disparate_impact=0.8)
    assert out.observed["rows"] == {f"{i}|k": 1 for i in range(4)}
    assert out.observed["disparate_impact"] == 0.0
    assert out.failures == ["disparate_impact = 0 < min_disparate_impact 0.8"]
    assert out.observed["best_cell"]["cell"] == "1|k" and out.observed["worst_cell"]["cell"] == "0|k"
    # a row with any attribute missing is in no group (label balance) / in <missing> (parity)
    out = label_balance(counts(["a", "b", "y"], [(["x", None, "1"], 5), (["x", "p", "0"], 1)]), [], "1")
    assert out.observed["rows"] == {"x|p": 1}
    table = {"by": ["a", "b"], "tokens": ["?"], "columns": ["c"],
             "groups": [[["x", "?"], 4, {"c": [1, 1]}], [["x", "p"], 2, {"c": [0, 1]}],
                        [[None, "p"], 2, {"c": [0, 0]}]]}
    out = missingness_parity(table, "c", max_diff=0.1)
    assert out.observed["group_missing_rate"] == {"<missing>": 2 / 6, "x|p": 0.5}
    assert out.observed["worst_cell"] == {"cell": "x|p", "rate": 0.5, "rows": 2}
    assert out.observed["best_cell"] == {"cell": "<missing>", "rate": 2 / 6, "rows": 6}
    assert out.failures == [f"max_diff = {0.5 - 2 / 6:.3g} > max_diff 0.1"]


def test_private_parts_take_the_validation_numbering():
    table = counts(["s", "r", "y"], [(["F", "a", "1"], 2), (["M", "a", "0"], 5), (["M", "b", "1"], 1)])
    out = label_balance(table, [], "1", private=[True, False], names=[{"M": "group-1", "F": "group-2"}, None])
    assert out.observed["positive_rates"] == {"group-1|a": 0.0, "group-1|b": 1.0, "group-2|a": 1.0}
    # without a numbering the figure numbers the parts by their own rows
    out = label_balance(table, [], "1", private=[True, True])
    assert out.observed["rows"] == {"group-1|group-1": 5, "group-1|group-2": 1, "group-2|group-1": 2}
